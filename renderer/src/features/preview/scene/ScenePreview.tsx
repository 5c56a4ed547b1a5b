import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import type { FileItem } from '../../room/timeline-items';

/** What a scene card knows: the file, this device's transfer of it, and where its bytes are read. */
export interface ScenePreviewProps {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
  /** The decrypted bytes' URL once there is a transfer (its bytes may still be arriving). */
  readonly src: string | undefined;
  /** The same scene's previous snapshot in this room, when there is one, with its own URL if this device has it. */
  readonly previous: { readonly item: FileItem; readonly src: string | undefined } | undefined;
}

/** Placeholder until the three.js viewer lands (issue 18). */
export function ScenePreview(_props: ScenePreviewProps) {
  return null;
}
