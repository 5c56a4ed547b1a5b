import type { FileItem, TimelineItem } from '../../room/timeline-items';

/**
 * The earlier snapshot of the same scene in a room: the newest scene file before `item` with the same
 * name from the same sender, or the one `item` replies to. Placeholder until the viewer lands (issue 18).
 */
export function previousSnapshotOf(_items: readonly TimelineItem[], _item: FileItem): FileItem | undefined {
  return undefined;
}
