import type { FileItem, TimelineItem } from '../../room/timeline-items';
import { previewKindOf } from '../preview-kind';

const isScene = (item: TimelineItem): item is FileItem =>
  item.kind === 'file' && !item.pending && previewKindOf(item.mimetype, item.fileName) === 'scene';

/** The event a file event answers (`m.relates_to.m.in_reply_to.event_id`), if it is a reply. */
export function repliedEventIdOf(content: Record<string, unknown>): string | undefined {
  const relation = content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null) return undefined;
  const reply = (relation as Record<string, unknown>)['m.in_reply_to'];
  if (typeof reply !== 'object' || reply === null) return undefined;
  const eventId = (reply as Record<string, unknown>)['event_id'];
  return typeof eventId === 'string' && eventId !== '' ? eventId : undefined;
}

/**
 * The earlier snapshot of the same scene in a room, for comparing side by side: the scene file `item`
 * replies to, when it replies to one (the sender said which one it follows), else the newest scene file
 * before it with the same file name from the same sender. Items are oldest first, as the timeline has
 * them; files still on their way (local echoes) have no bytes anyone could fetch, so they never count.
 */
export function previousSnapshotOf(items: readonly TimelineItem[], item: FileItem): FileItem | undefined {
  const repliedTo = repliedEventIdOf(item.content);
  if (repliedTo !== undefined && repliedTo !== item.id) {
    const answered = items.find((candidate) => candidate.id === repliedTo);
    if (answered && isScene(answered)) return answered;
  }
  // Earlier means before it in the room: an item not in this list has no place to count from.
  const position = items.findIndex((candidate) => candidate.id === item.id);
  for (let index = position - 1; index >= 0; index -= 1) {
    const candidate = items[index]!;
    if (isScene(candidate) && candidate.fileName === item.fileName && candidate.sender === item.sender) {
      return candidate;
    }
  }
  return undefined;
}
