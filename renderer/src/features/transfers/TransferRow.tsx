import { useId } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes, percentOf } from '../../text/quantities';
import { useConnected } from '../../app/use-connected';
import { TransferActions } from './TransferActions';
import { directionWords, statusLine } from './transfer-words';
import { useRetryCountdown } from './use-retry-countdown';
import { useTransfers } from './use-transfers';
import { useStalled } from './use-stalled';
import { useHomeFolder } from '../file-chooser/use-home-folder';
import { useMatrix } from '../matrix/use-matrix';
import { folderOf, shortPath } from '../../text/paths';

/** One transfer: what it is, how far it got, how fast, its state in words, and what can be done. */
export function TransferRow({ id }: { readonly id: string }) {
  const transfer = useTransfers((state) => state.byId[id]);
  const actionError = useTransfers((state) => state.actionErrors[id]);
  const dismissError = useTransfers((state) => state.dismissError);
  const retryIn = useRetryCountdown(transfer?.retry);
  const connected = useConnected();
  const stalled = useStalled(transfer);
  const home = useHomeFolder();
  const roomName = useMatrix((state) => state.rooms.find((room) => room.roomId === transfer?.roomId)?.name);
  const nameId = useId();
  if (!transfer) return null;

  const percent = transfer.status === 'completed' ? 100 : percentOf(transfer.bytesDone, transfer.bytesTotal);
  const status = statusLine(transfer, connected, retryIn, stalled);
  return (
    <li className={`transfer is-${transfer.status}`} aria-labelledby={nameId}>
      <div className="transfer-head">
        <span className={`direction direction-${transfer.direction}`}>
          <span aria-hidden="true">{transfer.direction === 'send' ? '↑' : '↓'}</span> {directionWords(transfer)}
        </span>
        <span id={nameId} className="file-name" title={transfer.fileName}>
          {transfer.fileName}
        </span>
        <span className="size">{formatBytes(transfer.bytesTotal)}</span>
      </div>
      {roomName && (
        <p className="transfer-room">
          {transfer.direction === 'send' ? 'to' : 'from'} {roomName}
        </p>
      )}
      <div className="transfer-progress">
        <progress
          max={Math.max(1, transfer.bytesTotal)}
          value={transfer.status === 'completed' ? Math.max(1, transfer.bytesTotal) : transfer.bytesDone}
          aria-label={`Progress of ${transfer.fileName}`}
        />
        <span className="percent">{percent} %</span>
      </div>
      <div className="transfer-foot">
        <p className="status">
          <span className="status-words">{status.words}</span>
          {status.detail && <span className="status-detail">{status.detail}</span>}
          {transfer.savedPath && (
            <span className="saved-path" title={transfer.savedPath}>
              {' '}
              · saved in {shortPath(folderOf(transfer.savedPath), home)}
            </span>
          )}
        </p>
        <TransferActions transfer={transfer} />
      </div>
      {actionError && (
        <ErrorNotice
          message={actionError}
          onDismiss={() => dismissError(id)}
          dismissLabel={`Dismiss the message about ${transfer.fileName}`}
        />
      )}
    </li>
  );
}
