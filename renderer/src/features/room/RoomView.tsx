import { useState } from 'react';
import { useMatrix } from '../matrix/use-matrix';
import { Composer } from './Composer';
import { InviteDialog, LeaveRoomDialog } from './RoomDialogs';
import { RoomFormatSelect } from './RoomFormatSelect';
import { Timeline } from './Timeline';

/** One room: its name and settings, its timeline of messages and files, and the composer. */
export function RoomView({ roomId }: { readonly roomId: string }) {
  const summary = useMatrix((state) => state.rooms.find((room) => room.roomId === roomId));
  const [dialog, setDialog] = useState<'invite' | 'leave' | null>(null);
  if (!summary) return null;

  return (
    // Files dropped anywhere in the window while a room is open go to it (sending/DropZone.tsx).
    <section className="room-view" aria-labelledby="room-title">
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
      {dialog === 'invite' && <InviteDialog roomId={roomId} roomName={summary.name} onClose={() => setDialog(null)} />}
      {dialog === 'leave' && (
        <LeaveRoomDialog roomId={roomId} roomName={summary.name} onClose={() => setDialog(null)} />
      )}
    </section>
  );
}
