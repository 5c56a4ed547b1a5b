import { useEffect, useMemo, useRef, useState } from 'react';
import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { messageOf } from '../../text/error-message';
import { useMatrix } from '../matrix/use-matrix';
import { useTransfers } from '../transfers/use-transfers';
import { FileCard } from './FileCard';
import { timelineItems, type FileItem, type TimelineItem } from './timeline-items';
import type { RelatedFile } from '../preview/FilePreview';
import { previewKindOf } from '../preview/preview-kind';
import { previousSnapshotOf } from '../preview/scene/snapshot-pairs';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });

function timeOf(timestamp: number): string {
  const date = new Date(timestamp);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? timeFormat.format(date)
    : `${dayFormat.format(date)}, ${timeFormat.format(date)}`;
}

/** This device's transfer for each file event: its receive, or (for this account's files) its send. */
function useTransfersByEvent(): ReadonlyMap<string, TransferUpdate> {
  const byId = useTransfers((state) => state.byId);
  return useMemo(() => {
    const found = new Map<string, TransferUpdate>();
    for (const transfer of Object.values(byId)) {
      if (!transfer.eventId) continue;
      const seen = found.get(transfer.eventId);
      if (!seen || seen.createdAt < transfer.createdAt) found.set(transfer.eventId, transfer);
    }
    return found;
  }, [byId]);
}

function Message({ item, own }: { readonly item: Exclude<TimelineItem, { kind: 'file' }>; readonly own: boolean }) {
  if (item.kind === 'notice') return <li className="timeline-notice">{item.text}</li>;
  return (
    <li className={`message${item.pending ? ' is-pending' : ''}`}>
      <p className="message-head">
        <span className="message-sender" title={item.sender}>
          {own ? 'You' : item.senderName}
        </span>{' '}
        <time className="message-time">{timeOf(item.timestamp)}</time>
        {item.pending && <span className="message-pending"> · sending…</span>}
      </p>
      {item.kind === 'text' ? (
        <p className="message-body">{item.emote ? <em>{`${item.senderName} ${item.body}`}</em> : item.body}</p>
      ) : (
        <p className="message-body undecryptable">{item.reason}</p>
      )}
    </li>
  );
}

/** A room's messages and files, oldest first, following the newest while the reader is at the bottom. */
/** The previous snapshot of the same scene, for scene files (it may be compared side by side). */
function relatedOf(
  items: readonly TimelineItem[],
  item: FileItem,
  transfers: ReadonlyMap<string, TransferUpdate>,
): RelatedFile | undefined {
  if (previewKindOf(item.mimetype, item.fileName) !== 'scene') return undefined;
  const previous = previousSnapshotOf(items, item);
  return previous && { item: previous, transfer: transfers.get(previous.id) };
}

export function Timeline({ roomId, roomName }: { readonly roomId: string; readonly roomName: string }) {
  const client = useMatrix((state) => state.client);
  const revision = useMatrix((state) => state.revision);
  const transfers = useTransfersByEvent();
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [earlierProblem, setEarlierProblem] = useState<string | null>(null);
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);

  const room = client?.getRoom(roomId) ?? null;
  // The room's events change in place: `revision` says when to read them again.
  const items = useMemo(() => (room ? timelineItems(room.getLiveTimeline().getEvents()) : []), [room, revision]);
  // Earlier messages exist until the room's first event (its creation) is on screen.
  const events = room?.getLiveTimeline().getEvents() ?? [];
  const canLoadEarlier =
    room?.getLiveTimeline().getPaginationToken('b' as never) !== null && events[0]?.getType() !== 'm.room.create';

  useEffect(() => {
    const element = list.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [items]);

  // Previews grow as they load (a player's first frame, an image): a timeline read at its end stays there.
  useEffect(() => {
    const element = list.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) element.scrollTop = element.scrollHeight;
    });
    for (const child of Array.from(element.children)) observer.observe(child);
    return () => observer.disconnect();
    // The observed children are the timeline's own blocks, which exist as long as the room is open.
  }, [room]);

  // What is on screen in a focused window is read: the room's unread count goes back to zero.
  const last = items.at(-1);
  useEffect(() => {
    if (!client || !room || !last || last.pending) return;
    const send = () => {
      if (!document.hasFocus()) return;
      const event = room.findEventById(last.id);
      if (event && room.getEventReadUpTo(client.getSafeUserId()) !== last.id)
        void client.sendReadReceipt(event).catch(() => undefined);
    };
    send();
    window.addEventListener('focus', send);
    return () => window.removeEventListener('focus', send);
  }, [client, room, last]);

  const loadEarlier = async () => {
    if (!client || !room) return;
    setLoadingEarlier(true);
    setEarlierProblem(null);
    try {
      await client.scrollback(room, 30);
    } catch (error) {
      setEarlierProblem(`Earlier messages could not be loaded: ${messageOf(error)}`);
    } finally {
      setLoadingEarlier(false);
    }
  };

  return (
    <div
      className="timeline"
      ref={list}
      onScroll={(event) => {
        const element = event.currentTarget;
        atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      }}
    >
      {canLoadEarlier && (
        <div className="timeline-earlier">
          <button type="button" className="quiet" onClick={() => void loadEarlier()} disabled={loadingEarlier}>
            {loadingEarlier ? 'Loading…' : 'Load earlier messages'}
          </button>
          {earlierProblem && (
            <p className="field-problem" role="alert">
              {earlierProblem}
            </p>
          )}
        </div>
      )}
      <ol className="timeline-items" aria-label={`Messages in ${roomName}`}>
        {items.map((item) =>
          item.kind === 'file' ? (
            <li key={item.id} className="timeline-file">
              <FileCard
                item={item}
                roomId={roomId}
                transfer={transfers.get(item.id)}
                time={timeOf(item.timestamp)}
                previous={relatedOf(items, item, transfers)}
              />
            </li>
          ) : (
            <Message key={item.id} item={item} own={item.sender === client?.getUserId()} />
          ),
        )}
      </ol>
      {items.length === 0 && (
        <p className="timeline-empty">Nothing here yet. Drop files on this room, or write a message.</p>
      )}
    </div>
  );
}
