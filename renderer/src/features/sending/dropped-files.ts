/** One thing dropped on the window: a file, or a folder (which the browser hands over as an empty File). */
export interface DroppedItem {
  readonly file: File;
  readonly isFolder: boolean;
}

/** Whether a drag carries files at all (text or a link dragged over the window does not). */
export function carriesFiles(dataTransfer: DataTransfer | null): boolean {
  return dataTransfer !== null && Array.from(dataTransfer.types).includes('Files');
}

/**
 * What was dropped. Must run during the drop event itself: the browser empties the DataTransfer after.
 * Folders are told apart through the entry API (webkitGetAsEntry, in every engine despite its name).
 */
export function droppedItems(dataTransfer: DataTransfer): DroppedItem[] {
  const items: DroppedItem[] = [];
  for (const item of Array.from(dataTransfer.items)) {
    if (item.kind !== 'file') continue;
    const file = item.getAsFile();
    if (!file) continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    items.push({ file, isFolder: entry?.isDirectory ?? false });
  }
  if (items.length === 0) for (const file of Array.from(dataTransfer.files)) items.push({ file, isFolder: false });
  return items;
}
