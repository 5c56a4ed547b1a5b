import { useState } from 'react';
import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import type { FileItem } from '../../room/timeline-items';
import { CompareScenesDialog } from './CompareScenesDialog';
import { SceneSlot } from './SceneSlot';
import './scene.css';

/** What a scene card knows: the file, this device's transfer of it, and where its bytes are read. */
export interface ScenePreviewProps {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
  /** The decrypted bytes' URL once there is a transfer (its bytes may still be arriving). */
  readonly src: string | undefined;
  /** The same scene's previous snapshot in this room, when there is one, with its own URL if this device has it. */
  readonly previous:
    | { readonly item: FileItem; readonly transfer: TransferUpdate | undefined; readonly src: string | undefined }
    | undefined;
  /** The room the card is in (for View scene); the open room until the card passes it. */
  readonly roomId?: string | undefined;
}

/**
 * A glTF scene inside its file card: View scene while it is only offered, how far it has arrived,
 * then the scene itself the moment it is complete — and, when the room has an earlier snapshot of it,
 * the two side by side.
 */
export function ScenePreview({ item, transfer, src, previous, roomId }: ScenePreviewProps) {
  const [comparing, setComparing] = useState(false);
  const compare = previous && (
    <button type="button" className="quiet" onClick={() => setComparing(true)}>
      Compare with previous snapshot
    </button>
  );
  return (
    <div className="scene-preview">
      <SceneSlot
        eventId={item.id}
        roomId={roomId}
        transfer={transfer}
        src={src}
        label={item.fileName}
        wheelZoomNeedsFocus
        actions={compare}
      />
      {comparing && previous && (
        <CompareScenesDialog
          current={{ item, transfer, src }}
          previous={previous}
          roomId={roomId}
          onClose={() => setComparing(false)}
        />
      )}
    </div>
  );
}
