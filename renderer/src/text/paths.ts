/*
 * Paths as people read them. The main side may run on Windows, so both separators are understood.
 */

const SEPARATOR = /[\\/]/;

/** The last part of a path: a file's name. */
export function baseName(path: string): string {
  return path.split(SEPARATOR).filter(Boolean).pop() ?? path;
}

/** The folder a path is in ("/" for something at the root). */
export function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return path;
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** "~/Videos" for a path inside `home`, the path as it is otherwise (or while home is not known). */
export function shortPath(path: string, home: string | undefined): string {
  if (!home) return path;
  const base = home.replace(/[\\/]+$/, '');
  if (path === base) return '~';
  return path.startsWith(base) && SEPARATOR.test(path.charAt(base.length)) ? `~${path.slice(base.length)}` : path;
}
