import { useEffect, useState } from 'react';
import { useAppStores } from '../../app/app-stores';
import { countOf, formatBytes } from '../../text/quantities';
import { baseName, folderOf, shortPath } from '../../text/paths';
import { useHomeFolder } from '../file-chooser/use-home-folder';
import { useSending } from './use-sending';
import { useMatrix } from '../matrix/use-matrix';

/**
 * The sizes of `paths`, from a listing of each one's folder (the only way the page learns a size).
 * A folder the main side will not list leaves its files without one: the offer is still right.
 */
function useFileSizes(paths: readonly string[]): ReadonlyMap<string, number> {
  const { platform } = useAppStores();
  const [sizes, setSizes] = useState<ReadonlyMap<string, number>>(new Map());
  const key = paths.join('\n');
  useEffect(() => {
    if (!key) return;
    let current = true;
    const folders = [...new Set(key.split('\n').map(folderOf))];
    void Promise.allSettled(folders.map((path) => platform.api.listFolder({ path }))).then((listings) => {
      const found = new Map<string, number>();
      for (const listing of listings) {
        if (listing.status !== 'fulfilled') continue;
        for (const entry of listing.value.entries) if (entry.size !== undefined) found.set(entry.path, entry.size);
      }
      if (current) setSizes(found);
    });
    return () => {
      current = false;
    };
  }, [platform, key]);
  return sizes;
}

/** Files handed to Slipstream from outside are never sent without asking: they could be anything. */
export function OpenedFilesOffer() {
  const offered = useSending((state) => state.offered);
  const acceptOffer = useSending((state) => state.acceptOffer);
  const dismissOffer = useSending((state) => state.dismissOffer);
  const askForRoom = useSending((state) => state.askForRoom);
  const room = useMatrix((state) => state.rooms.find((summary) => summary.roomId === state.selectedRoomId));
  const sizes = useFileSizes(offered);
  const home = useHomeFolder();
  if (offered.length === 0) return null;
  const one = offered.length === 1;
  return (
    <section className="offer card" aria-labelledby="offer-title">
      <h2 id="offer-title">
        {one
          ? `You opened ${baseName(offered[0]!)} with Slipstream. Send it?`
          : `You opened ${offered.length} files with Slipstream. Send them?`}
      </h2>
      <ul className="offer-files">
        {offered.map((path) => {
          const size = sizes.get(path);
          const folder = folderOf(path);
          return (
            <li key={path} title={path}>
              <span className="file-name">{baseName(path)}</span>{' '}
              <span className="offer-file-where">
                {size !== undefined && `${formatBytes(size)} · `}in{' '}
                {folder === home ? 'your home folder' : shortPath(folder, home)}
              </span>
            </li>
          );
        })}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={dismissOffer}>
          Don’t send
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => {
            if (room) void acceptOffer(room.roomId);
            else {
              askForRoom({ kind: 'paths', paths: offered });
              dismissOffer();
            }
          }}
        >
          {room
            ? `Send ${countOf(offered.length, 'file')} to ${room.name}`
            : `Send ${countOf(offered.length, 'file')}…`}
        </button>
      </div>
    </section>
  );
}
