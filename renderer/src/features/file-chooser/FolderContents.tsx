import type { FolderEntry } from '../../../../shared/ipc-contract';
import { formatBytes, formatDate } from '../../text/quantities';
import type { ChooserMode } from './chooser-store';

interface FolderContentsProps {
  readonly entries: readonly FolderEntry[];
  readonly mode: ChooserMode;
  readonly selected: readonly FolderEntry[];
  readonly caption: string;
  readonly onOpenFolder: (path: string) => void;
  readonly onToggle: (entry: FolderEntry) => void;
}

/** Drawn rather than an emoji: not every system has an emoji font (Debian's Chromium here has none). */
function FolderIcon() {
  return (
    <svg className="folder-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        d="M1.5 3.5a1 1 0 0 1 1-1h3.6l1.5 1.5h5.9a1 1 0 0 1 1 1v7.5a1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1z"
        fill="currentColor"
      />
    </svg>
  );
}

/** A folder's entries: folders open with a button, files are ticked with a checkbox (files mode). */
export function FolderContents({ entries, mode, selected, caption, onOpenFolder, onToggle }: FolderContentsProps) {
  if (entries.length === 0) return <p className="chooser-empty">This folder is empty.</p>;
  const chosen = new Set(selected.map((entry) => entry.path));
  return (
    <table className="folder-contents">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" className="numeric">
            Size
          </th>
          <th scope="col" className="modified">
            Modified
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.path} className={chosen.has(entry.path) ? 'is-selected' : undefined}>
            <td className="entry-name">
              {entry.kind === 'folder' ? (
                <button type="button" className="entry-folder" onClick={() => onOpenFolder(entry.path)}>
                  <FolderIcon />
                  {entry.name}
                </button>
              ) : mode === 'files' ? (
                <label className="entry-file">
                  <input type="checkbox" checked={chosen.has(entry.path)} onChange={() => onToggle(entry)} />
                  <span>{entry.name}</span>
                </label>
              ) : (
                <span className="entry-file is-unavailable">{entry.name}</span>
              )}
            </td>
            <td className="numeric">{entry.size === undefined ? '' : formatBytes(entry.size)}</td>
            <td className="modified">{entry.modifiedAt === undefined ? '' : formatDate(entry.modifiedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
