import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { formatBytes, percentOf } from '../../text/quantities';
import { TransferActions } from '../transfers/TransferActions';
import { speedWords } from '../transfers/transfer-words';
import { useMatrix } from '../matrix/use-matrix';
import { cardState } from './file-card-state';
import { FileKindIcon } from './FileKindIcon';
import { useStalled } from '../transfers/use-stalled';
import type { FileItem } from './timeline-items';
import { FilePreview, type RelatedFile } from '../preview/FilePreview';
import { useReceiveFile } from './use-receive-file';

/**
 * A file shared in the room: name, size, who sent it and when, and its live state here — offered,
 * arriving, waiting for the sender, complete (verified), cancelled or failed with the reason — with
 * what can be done about it.
 */
export function FileCard({
  item,
  roomId,
  transfer,
  time,
  previous,
}: {
  readonly item: FileItem;
  readonly roomId: string;
  readonly transfer: TransferUpdate | undefined;
  readonly time: string;
  /** The same scene's previous snapshot, for scene files. */
  readonly previous?: RelatedFile | undefined;
}) {
  const client = useMatrix((state) => state.client);
  const { start: download, starting, problem } = useReceiveFile(item.id, roomId);
  const stalled = useStalled(transfer);
  const state = cardState(item, transfer, client?.getUserId() ?? null, stalled);
  const size = transfer?.bytesTotal ?? item.size;
  const moving =
    transfer && (transfer.status === 'uploading' || transfer.status === 'downloading' || transfer.status === 'paused');
  const speed = transfer && !transfer.waitingForOutcome && !stalled ? speedWords(transfer) : undefined;

  return (
    <article className={`file-card phase-${state.phase}`} aria-label={item.fileName}>
      <div className="file-card-head">
        <FileKindIcon mimetype={item.mimetype} />
        <div className="file-card-title">
          <p className="file-name" title={item.fileName}>
            {item.fileName}
          </p>
          <p className="file-card-meta">
            {size !== undefined ? formatBytes(size) : 'size unknown'} · from{' '}
            <span title={item.sender}>{item.sender === client?.getUserId() ? 'you' : item.senderName}</span> ·{' '}
            <time>{time}</time>
          </p>
        </div>
      </div>
      <FilePreview item={item} roomId={roomId} transfer={transfer} previous={previous} />
      {moving && transfer && (
        <div className="transfer-progress">
          <progress
            max={Math.max(1, transfer.bytesTotal)}
            value={transfer.bytesDone}
            aria-label={`${item.fileName} ${transfer.direction === 'send' ? 'uploaded' : 'downloaded'}`}
          />
          <span className="percent">{percentOf(transfer.bytesDone, transfer.bytesTotal)} %</span>
        </div>
      )}
      <p className="file-card-state">
        <strong className="card-state-words">{state.words}</strong>
        {speed && <span> · {speed}</span>}
        {state.detail && <span className="card-state-detail"> {state.detail}</span>}
      </p>
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
      <div className="file-card-actions">
        {state.canDownload && (
          <button
            type="button"
            className="primary"
            disabled={starting}
            onClick={() => void download()}
            aria-label={`Download ${item.fileName}`}
          >
            {starting ? 'Starting…' : 'Download'}
          </button>
        )}
        {transfer && <TransferActions transfer={transfer} inCard />}
      </div>
    </article>
  );
}
