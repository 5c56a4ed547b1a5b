import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FolderEntry, FolderListing } from '../../../shared/ipc-contract.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';

/** A listing stops here: a folder with more entries says so rather than stalling the chooser. */
const MAX_ENTRIES = 5000;

export interface Place {
  readonly label: string;
  readonly path: string;
}

/** The real path (links resolved) of `path`, or a refusal that says why it cannot be had. */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IpcError(
      'PATH_UNAVAILABLE',
      code === 'ENOENT'
        ? `${path} does not exist`
        : `${path} cannot be read (${code === 'EACCES' ? 'permission denied' : code})`,
    );
  }
}

/** Whether `path` is `root` or inside it (both already real paths). */
export function isInside(root: string, path: string): boolean {
  const fromRoot = relative(root, path);
  return fromRoot === '' || (!fromRoot.startsWith('..') && !isAbsolute(fromRoot) && fromRoot.split(sep)[0] !== '..');
}

/**
 * What the app may read on the user's behalf, for the browser host's own file chooser and for sends:
 * the user's home and the folders added on the host's command line, never the app's own data
 * directory (its keys and session). Paths are compared after resolving symbolic links, so a link in
 * home that points at /etc does not lead out.
 */
export class FolderAccess {
  private constructor(
    private readonly places: readonly Place[],
    private readonly realRoots: readonly string[],
    private readonly forbidden: readonly string[],
  ) {}

  /** `forbidden`: folders never listed or sent from (the data directory), even inside a place. */
  static async create(places: readonly Place[], forbidden: readonly string[] = []): Promise<FolderAccess> {
    const usable: Place[] = [];
    const realRoots: string[] = [];
    for (const place of places) {
      try {
        const real = await realpath(place.path);
        if (!(await stat(real)).isDirectory()) continue;
        usable.push({ label: place.label, path: resolve(place.path) });
        realRoots.push(real);
      } catch {
        // A folder named on the command line that does not exist is left out, not fatal.
      }
    }
    const realForbidden = await Promise.all(forbidden.map((path) => realpath(path).catch(() => resolve(path))));
    return new FolderAccess(usable, realRoots, realForbidden);
  }

  /** The real path of `path` if it may be read, else a refusal naming it. */
  async check(path: string): Promise<string> {
    const real = await realPathOf(path);
    if (this.forbidden.some((folder) => isInside(folder, real))) {
      throw new IpcError(
        'PATH_REFUSED',
        `${path} holds Slipstream's own keys and state, which are never sent or listed`,
      );
    }
    if (!this.realRoots.some((root) => isInside(root, real))) {
      throw new IpcError(
        'PATH_REFUSED',
        `${path} is outside your home folder and the folders Slipstream was given; start it with --folder ${dirname(path)} to allow it`,
      );
    }
    return real;
  }

  private allows(real: string): boolean {
    return (
      !this.forbidden.some((folder) => isInside(folder, real)) && this.realRoots.some((root) => isInside(root, real))
    );
  }

  async list(path: string | undefined): Promise<FolderListing> {
    const places = this.places.map(({ label, path: placePath }) => ({ label, path: placePath }));
    if (path === undefined) {
      const entries: FolderEntry[] = places.map((place) => ({ name: place.label, path: place.path, kind: 'folder' }));
      return { path: null, parent: null, entries, places };
    }
    const real = await this.check(path);
    if (!(await stat(real)).isDirectory()) throw new IpcError('PATH_UNAVAILABLE', `${path} is not a folder`);
    let dirents: Dirent[];
    try {
      dirents = await readdir(real, { withFileTypes: true });
    } catch (error) {
      throw new IpcError('PATH_UNAVAILABLE', `${path} cannot be listed (${(error as NodeJS.ErrnoException).code})`);
    }
    const entries: FolderEntry[] = [];
    // Hidden files are left out, as file choosers do by default; a symbolic link is shown as what it points at.
    for (const dirent of dirents.filter((entry) => !entry.name.startsWith('.')).slice(0, MAX_ENTRIES)) {
      const entryPath = join(real, dirent.name);
      try {
        // Entries that would only be refused (a link leading out, the app's own state) are not offered.
        if (!this.allows(dirent.isSymbolicLink() ? await realpath(entryPath) : entryPath)) continue;
        const stats = await stat(entryPath);
        if (stats.isDirectory())
          entries.push({ name: dirent.name, path: entryPath, kind: 'folder', modifiedAt: stats.mtimeMs });
        else if (stats.isFile()) {
          entries.push({
            name: dirent.name,
            path: entryPath,
            kind: 'file',
            size: stats.size,
            modifiedAt: stats.mtimeMs,
          });
        }
      } catch {
        // A dangling link or an entry that vanished while listing: not something a person can choose.
      }
    }
    entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
    const parentReal = dirname(real);
    const parentAllowed = parentReal !== real && this.realRoots.some((root) => isInside(root, parentReal));
    return { path: real, parent: parentAllowed ? parentReal : null, entries, places };
  }
}

/** The home folder and any extra folders, labelled for the chooser's sidebar. */
export function placesFor(home: string, extraFolders: readonly string[]): Place[] {
  return [
    { label: 'Home', path: home },
    ...extraFolders.map((folder) => ({ label: basename(folder) || folder, path: folder })),
  ];
}
