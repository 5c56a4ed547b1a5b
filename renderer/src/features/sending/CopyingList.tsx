import { useId } from 'react';
import { formatBytes, percentOf } from '../../text/quantities';
import type { CopyingFile } from './sending-store';
import { useSending } from './use-sending';

function phaseWords(file: CopyingFile): string {
  if (file.phase === 'failed') return file.error ?? 'Copying failed';
  if (file.phase === 'starting') return 'Starting the upload…';
  return 'Preparing to send';
}

function CopyingRow({ file }: { readonly file: CopyingFile }) {
  const cancelCopy = useSending((state) => state.cancelCopy);
  const dismissCopy = useSending((state) => state.dismissCopy);
  const nameId = useId();
  const failed = file.phase === 'failed';
  return (
    <li className={`transfer is-copying${failed ? ' is-failed' : ''}`} aria-labelledby={nameId}>
      <div className="transfer-head">
        <span className="direction direction-send">
          <span aria-hidden="true">↑</span> Outgoing
        </span>
        <span id={nameId} className="file-name" title={file.name}>
          {file.name}
        </span>
        <span className="size">{formatBytes(file.size)}</span>
      </div>
      <div className="transfer-progress">
        <progress
          max={Math.max(1, file.size)}
          value={file.copied}
          aria-label={`Copying ${file.name} into Slipstream`}
        />
        <span className="percent">{percentOf(file.copied, file.size)} %</span>
      </div>
      <div className="transfer-foot">
        <p className="status" role={failed ? 'alert' : undefined}>
          <span className="status-words">{phaseWords(file)}</span>
          {/* A copy is not the upload yet, and a browser gives no other way: said, so two bars make sense. */}
          {file.phase === 'copying' && (
            <span className="status-detail">
              {' '}
              — copying the file into Slipstream (browsers cannot share the original):{' '}
              <span className="amount">
                {formatBytes(file.copied)} of {formatBytes(file.size)}
              </span>
            </span>
          )}
        </p>
        <div className="transfer-actions">
          {file.phase === 'copying' && (
            <button
              type="button"
              className="quiet danger-text"
              onClick={() => cancelCopy(file.key)}
              aria-label={`Cancel copying ${file.name}`}
            >
              Cancel
            </button>
          )}
          {failed && (
            <button
              type="button"
              className="quiet"
              onClick={() => dismissCopy(file.key)}
              aria-label={`Remove from list: ${file.name}`}
            >
              Remove from list
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

/**
 * Files dropped into the browser, on their way into the host's spool: a browser cannot hand over a
 * path, so each is copied first (with its own progress) and sent from the copy once it is whole.
 */
export function CopyingList() {
  const copying = useSending((state) => state.copying);
  if (copying.length === 0) return null;
  return (
    <ul className="transfer-list copying-list" aria-label="Dropped files being copied">
      {copying.map((file) => (
        <CopyingRow key={file.key} file={file} />
      ))}
    </ul>
  );
}
