import { useState } from 'react';
import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { useAppStores } from '../../app/app-stores';
import { useReceiveFile } from '../room/use-receive-file';
import type { FileItem } from '../room/timeline-items';
import { useEventThumbnail } from '../thumbnails/use-event-thumbnail';
import { ImagePreview } from './ImagePreview';
import { MediaPlayer } from './MediaPlayer';
import { mediaUrlOf, previewKindOf } from './preview-kind';
import { ScenePreview } from './scene/ScenePreview';
import './preview.css';

/** A file this card may be compared with (the previous snapshot of the same scene), and this device's transfer of it. */
export interface RelatedFile {
  readonly item: FileItem;
  readonly transfer: TransferUpdate | undefined;
}

/**
 * Whether this device can read the file's bytes for a preview now. A send reads its own file; a receive
 * reads what has arrived and authenticated, fetching the rest from the server block by block (v3, or a
 * plain file); a v2 file authenticates only as a whole, so it shows once complete. A cancelled or failed
 * receive has nothing left to read, nor has a cancelled send.
 */
function readable(item: FileItem, transfer: TransferUpdate | undefined): transfer is TransferUpdate {
  if (!transfer) return false;
  if (transfer.direction === 'send') {
    if (transfer.status === 'cancelled') return false;
    // A file dropped or pasted into the browser host was copied in, and the copy goes once it is sent:
    // a v3 file is then read back from the server block by block, a v2 file cannot be (it
    // authenticates only as a whole), so its card keeps the thumbnail.
    return !(transfer.dropped && transfer.status === 'completed' && item.format === 'v2');
  }
  if (transfer.status === 'completed') return true;
  if (transfer.status === 'failed' || transfer.status === 'cancelled') return false;
  return item.format !== 'v2';
}

function numberIn(info: unknown, key: string): number | undefined {
  const value = (info as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The live preview inside a file card: a player, an image, a 3D scene, or nothing for other files. */
export function FilePreview({
  item,
  roomId,
  transfer,
  previous,
}: {
  readonly item: FileItem;
  readonly roomId: string;
  readonly transfer: TransferUpdate | undefined;
  readonly previous: RelatedFile | undefined;
}) {
  const { appInfo } = useAppStores();
  const thumbnail = useEventThumbnail(item.content);
  const [playRequested, setPlayRequested] = useState(false);
  const receive = useReceiveFile(item.id, roomId);
  const kind = previewKindOf(item.mimetype, item.fileName);
  if (kind === 'none') return null;
  const src = transfer ? mediaUrlOf(appInfo.mediaBaseUrl, transfer.id, item.fileName) : undefined;

  if (kind === 'scene') {
    const earlier = previous && {
      ...previous,
      src: previous.transfer
        ? mediaUrlOf(appInfo.mediaBaseUrl, previous.transfer.id, previous.item.fileName)
        : undefined,
    };
    return <ScenePreview item={item} transfer={transfer} src={src} previous={earlier} roomId={roomId} />;
  }

  const canRead = readable(item, transfer);
  const complete = transfer?.direction === 'send' || transfer?.status === 'completed';
  const arrived = canRead && !complete ? transfer.bytesDone / Math.max(1, transfer.bytesTotal) : undefined;
  const info = item.content['info'];
  // The file's own shape, else its thumbnail's: the card keeps its size while the bytes arrive.
  const width = numberIn(info, 'w') ?? thumbnail.width;
  const height = numberIn(info, 'h') ?? thumbnail.height;

  if (kind === 'image') {
    return (
      <ImagePreview
        src={canRead ? src : undefined}
        fileName={item.fileName}
        mimetype={item.mimetype}
        thumbnail={thumbnail.url}
        width={width}
        height={height}
        arrived={complete}
      />
    );
  }

  if (canRead && src) {
    return (
      <MediaPlayer
        kind={kind}
        src={src}
        fileName={item.fileName}
        mimetype={item.mimetype}
        poster={thumbnail.url}
        arrived={arrived}
        autoPlay={playRequested}
      />
    );
  }

  // Not here yet: its thumbnail, and Play, which starts the download and plays as it arrives.
  const play = async () => {
    if (await receive.start()) setPlayRequested(true);
  };
  const waitsForWhole = transfer && !isGone(transfer) && item.format === 'v2';
  return (
    <div className={`media-offer is-${kind}`}>
      {thumbnail.url && kind === 'video' && (
        <img
          className="media-offer-thumbnail"
          src={thumbnail.url}
          alt=""
          style={width && height ? { aspectRatio: `${width} / ${height}` } : undefined}
        />
      )}
      {waitsForWhole ? (
        <p className="media-offer-note">
          It plays once it has all arrived: this file’s format is checked only as a whole.
        </p>
      ) : (
        !transfer && (
          <button
            type="button"
            className="media-offer-play"
            disabled={receive.starting}
            onClick={() => void play()}
            aria-label={`Play ${item.fileName}`}
          >
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
              <path d="M8 5v14l11-7z" fill="currentColor" />
            </svg>
            {receive.starting ? 'Starting…' : 'Play'}
          </button>
        )
      )}
      {receive.problem && (
        <p className="field-problem" role="alert">
          {receive.problem}
        </p>
      )}
    </div>
  );
}

function isGone(transfer: TransferUpdate): boolean {
  return transfer.direction === 'receive' && (transfer.status === 'failed' || transfer.status === 'cancelled');
}
