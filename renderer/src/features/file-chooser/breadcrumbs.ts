import type { FolderListing } from '../../../../shared/ipc-contract';

export interface Crumb {
  readonly label: string;
  readonly path: string;
}

/**
 * Where a listing is, as the place it is in and the folders below it (Home › Videos › 2024), each with
 * the path to open it. A folder outside every place (a place reached through a link) is one crumb.
 */
export function breadcrumbsOf(listing: FolderListing): Crumb[] {
  const current = listing.path;
  if (current === null) return [];
  const place = listing.places
    .filter((candidate) => current === candidate.path || isInside(current, candidate.path))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!place) return [{ label: current, path: current }];
  const crumbs: Crumb[] = [{ label: place.label, path: place.path }];
  const below = current.slice(place.path.length);
  for (const part of below.matchAll(/[^\\/]+/g)) {
    crumbs.push({ label: part[0], path: current.slice(0, place.path.length + part.index + part[0].length) });
  }
  return crumbs;
}

function isInside(path: string, folder: string): boolean {
  if (!path.startsWith(folder)) return false;
  // A root such as / or C:\ already ends with its separator.
  return /[\\/]$/.test(folder) || /[\\/]/.test(path.charAt(folder.length));
}
