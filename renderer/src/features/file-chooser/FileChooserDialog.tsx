import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { countOf, formatBytes } from '../../text/quantities';
import { breadcrumbsOf } from './breadcrumbs';
import type { ChooserRequest } from './chooser-store';
import { FolderContents } from './FolderContents';
import { useChooser } from './use-chooser';

function ChooserBody({ request }: { readonly request: ChooserRequest }) {
  const listing = useChooser((state) => state.listing);
  const loading = useChooser((state) => state.loading);
  const error = useChooser((state) => state.error);
  const selected = useChooser((state) => state.selected);
  const browse = useChooser((state) => state.browse);
  const toggle = useChooser((state) => state.toggle);
  const confirm = useChooser((state) => state.confirm);
  const cancel = useChooser((state) => state.cancel);
  const files = request.mode === 'files';
  const crumbs = listing ? breadcrumbsOf(listing) : [];
  const totalSize = selected.reduce((sum, entry) => sum + (entry.size ?? 0), 0);
  const confirmLabel = files
    ? selected.length === 0
      ? 'Send files'
      : `Send ${countOf(selected.length, 'file')}`
    : 'Use this folder';

  return (
    <Dialog title={request.title} onClose={cancel} className="chooser">
      <div className="chooser-layout">
        <nav className="chooser-places" aria-label="Places">
          <ul>
            {(listing?.places ?? []).map((place) => (
              <li key={place.path}>
                <button
                  type="button"
                  className={crumbs[0]?.path === place.path ? 'quiet is-within' : 'quiet'}
                  aria-current={listing?.path === place.path ? 'location' : undefined}
                  onClick={() => void browse(place.path)}
                  title={place.path}
                >
                  {place.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="chooser-main" aria-busy={loading}>
          <nav className="chooser-location" aria-label="Current folder">
            <ol className="breadcrumbs">
              {crumbs.length === 0 && <li>Places</li>}
              {crumbs.map((crumb, index) => (
                <li key={crumb.path}>
                  <button
                    type="button"
                    className="quiet"
                    title={crumb.path}
                    aria-current={index === crumbs.length - 1 ? 'location' : undefined}
                    onClick={() => void browse(crumb.path)}
                  >
                    {crumb.label}
                  </button>
                </li>
              ))}
            </ol>
          </nav>
          {error && <ErrorNotice message={error} />}
          <div className="chooser-scroll">
            {listing && (
              <FolderContents
                entries={listing.entries}
                mode={request.mode}
                selected={selected}
                caption={`Contents of ${listing.path ?? 'Places'}`}
                onOpenFolder={(path) => void browse(path)}
                onToggle={toggle}
              />
            )}
          </div>
        </div>
      </div>
      <div className="dialog-actions chooser-actions">
        <p className="chooser-summary" aria-live="polite">
          {files
            ? selected.length === 0
              ? 'Tick the files to send; open folders to look inside them.'
              : `${countOf(selected.length, 'file')} chosen, ${formatBytes(totalSize)}`
            : 'Open the folder you want, then choose it.'}
        </p>
        <button type="button" onClick={cancel}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          onClick={confirm}
          disabled={files ? selected.length === 0 : !listing?.path}
        >
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** The app's own chooser, open while a feature waits for its answer (the browser host only). */
export function FileChooserDialog() {
  const request = useChooser((state) => state.request);
  return request ? <ChooserBody request={request} /> : null;
}
