import { useSending } from './use-sending';

const nameOf = (path: string) => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** Files handed to Slipstream from outside are never sent without asking: they could be anything. */
export function OpenedFilesOffer() {
  const offered = useSending((state) => state.offered);
  const acceptOffer = useSending((state) => state.acceptOffer);
  const dismissOffer = useSending((state) => state.dismissOffer);
  if (offered.length === 0) return null;
  return (
    <section className="offer card" aria-labelledby="offer-title">
      <h2 id="offer-title">Send these files?</h2>
      <p>Slipstream was given {offered.length === 1 ? 'this file' : `these ${offered.length} files`} to send:</p>
      <ul className="offer-files">
        {offered.map((path) => (
          <li key={path}>
            <span className="file-name">{nameOf(path)}</span> <span className="path">{path}</span>
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={dismissOffer}>
          Dismiss
        </button>
        <button type="button" className="primary" onClick={() => void acceptOffer()}>
          Send
        </button>
      </div>
    </section>
  );
}
