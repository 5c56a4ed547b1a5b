import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { useAppStores } from '../../app/app-stores';
import type { FileItem } from '../room/timeline-items';
import { mediaUrlOf, previewKindOf } from './preview-kind';
import { ScenePreview } from './scene/ScenePreview';

/** A file this card may be compared with (the previous snapshot of the same scene), and this device's transfer of it. */
export interface RelatedFile {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
}

/** The live preview inside a file card: a player, an image, a 3D scene, or nothing for other files. */
export function FilePreview({
  item,
  transfer,
  previous,
}: {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
  readonly previous: RelatedFile | undefined;
}) {
  const { appInfo } = useAppStores();
  const kind = previewKindOf(item.mimetype, item.fileName);
  const src = transfer ? mediaUrlOf(appInfo.mediaBaseUrl, transfer.id, item.fileName) : undefined;
  if (kind === 'scene') {
    const earlier = previous && {
      item: previous.item,
      src: previous.transfer
        ? mediaUrlOf(appInfo.mediaBaseUrl, previous.transfer.id, previous.item.fileName)
        : undefined,
    };
    return <ScenePreview item={item} transfer={transfer} src={src} previous={earlier} />;
  }
  return null;
}
