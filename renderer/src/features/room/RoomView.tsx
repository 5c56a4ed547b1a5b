import { type DragEvent, useState } from 'react';
import { useMatrix } from '../matrix/use-matrix';
import { carriesFiles, droppedItems } from '../sending/dropped-files';
import { useSending } from '../sending/use-sending';
import { Composer } from './Composer';
import { InviteDialog, LeaveRoomDialog } from './RoomDialogs';
import { RoomFormatSelect } from './RoomFormatSelect';
import { Timeline } from './Timeline';

/** One room: its name and settings, its timeline of messages and files, and the composer. Files dropped here go here. */
export function RoomView({ roomId }: { readonly roomId: string }) {
  const summary = useMatrix((state) => state.rooms.find((room) => room.roomId === roomId));
  const sendDropped = useSending((state) => state.sendDropped);
  const [dialog, setDialog] = useState<'invite' | 'leave' | null>(null);
  const [dragging, setDragging] = useState(false);
  if (!summary) return null;

  const onDragOver = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
    setDragging(false);
    sendDropped(droppedItems(event.dataTransfer), roomId);
  };

  return (
    <section
      className={`room-view${dragging ? ' is-dragging' : ''}`}
      aria-labelledby="room-title"
      onDragOver={onDragOver}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="room-header">
        <div className="room-header-row">
          <h2 id="room-title">{summary.name}</h2>
          <div className="room-actions">
            <button type="button" onClick={() => setDialog('invite')}>
              Invite…
            </button>
            <button type="button" className="quiet danger-text" onClick={() => setDialog('leave')}>
              Leave…
            </button>
          </div>
        </div>
        <div className="room-header-row">
          <p className="room-meta">
            {summary.encrypted ? (
              <span className="badge badge-encrypted">End-to-end encrypted</span>
            ) : (
              <span className="badge badge-plain">Not encrypted</span>
            )}{' '}
            · {summary.memberCount === 1 ? '1 member' : `${summary.memberCount} members`}
          </p>
          <RoomFormatSelect roomId={roomId} />
        </div>
      </header>
      <Timeline roomId={roomId} roomName={summary.name} />
      <Composer roomId={roomId} roomName={summary.name} />
      {dragging && (
        <div className="drop-overlay room-drop-overlay" aria-hidden="true">
          <p>Drop to send to {summary.name}</p>
        </div>
      )}
      {dialog === 'invite' && <InviteDialog roomId={roomId} roomName={summary.name} onClose={() => setDialog(null)} />}
      {dialog === 'leave' && (
        <LeaveRoomDialog roomId={roomId} roomName={summary.name} onClose={() => setDialog(null)} />
      )}
    </section>
  );
}
