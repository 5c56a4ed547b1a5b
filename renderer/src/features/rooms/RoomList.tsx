import { type DragEvent, useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useMatrix } from '../matrix/use-matrix';
import { RoomSearch } from './RoomSearch';
import { acceptInvite, declineInvite } from '../matrix/room-actions';
import { matchesSearch, type RoomSummary } from '../matrix/room-summaries';
import { carriesFiles, droppedItems } from '../sending/dropped-files';
import { useSending } from '../sending/use-sending';
import { useSession } from '../session/use-session';
import { NewRoomDialog } from './NewRoomDialog';
import { useRoomAction } from './use-room-action';

/** Signs out without asking: the keys the question warns about are not in this window anyway. */
function SignInAgainButton() {
  const signOut = useSession((state) => state.signOut);
  return (
    <button type="button" className="primary" onClick={() => void signOut()}>
      Sign in again
    </button>
  );
}

function InviteItem({ room }: { readonly room: RoomSummary }) {
  const client = useMatrix((state) => state.client);
  const select = useMatrix((state) => state.select);
  const { busy, error, run } = useRoomAction();
  if (!client) return null;
  return (
    <li className="room-invite" aria-label={`Invitation to ${room.name}`}>
      <p className="room-name">{room.name}</p>
      <p className="room-meta">
        {room.inviter ? `${room.inviter} invited you` : 'You are invited'}
        {room.isDirect ? ' to a direct chat' : ''}
      </p>
      {error && (
        <p className="field-problem" role="alert">
          {error}
        </p>
      )}
      <div className="room-invite-actions">
        <button
          type="button"
          disabled={busy !== null}
          onClick={() => void run('decline', () => declineInvite(client, room.roomId))}
        >
          {busy === 'decline' ? 'Declining…' : 'Decline'}
        </button>
        <button
          type="button"
          className="primary"
          disabled={busy !== null}
          onClick={() =>
            void run('accept', () => acceptInvite(client, room.roomId)).then((joined) => joined && select(room.roomId))
          }
        >
          {busy === 'accept' ? 'Joining…' : 'Accept'}
        </button>
      </div>
    </li>
  );
}

function RoomItem({ room, selected }: { readonly room: RoomSummary; readonly selected: boolean }) {
  const select = useMatrix((state) => state.select);
  const sendDropped = useSending((state) => state.sendDropped);
  const [dropping, setDropping] = useState(false);
  // Files dropped on a room in the list go to that room.
  const onDragOver = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
    setDropping(true);
  };
  const onDrop = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
    setDropping(false);
    select(room.roomId);
    sendDropped(droppedItems(event.dataTransfer), room.roomId);
  };
  const unread = room.unread > 0 ? `, ${room.unread} unread` : '';
  return (
    <li>
      <button
        type="button"
        className={`room-item${selected ? ' is-selected' : ''}${dropping ? ' is-drop-target' : ''}`}
        aria-current={selected ? 'true' : undefined}
        aria-label={`${room.name}${room.encrypted ? ', encrypted' : ''}${unread}`}
        onClick={() => select(room.roomId)}
        onDragOver={onDragOver}
        onDragLeave={() => setDropping(false)}
        onDrop={onDrop}
      >
        <span className="room-name">{room.name}</span>
        {room.unread > 0 && (
          <span className="unread-badge" aria-hidden="true">
            {room.unread > 99 ? '99+' : room.unread}
          </span>
        )}
      </button>
    </li>
  );
}

function Section({
  title,
  rooms,
  selectedRoomId,
}: {
  readonly title: string;
  readonly rooms: readonly RoomSummary[];
  readonly selectedRoomId: string | null;
}) {
  if (rooms.length === 0) return null;
  const id = `rooms-${title.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    <section className="room-section" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <ul className="room-items">
        {rooms.map((room) => (
          <RoomItem key={room.roomId} room={room} selected={room.roomId === selectedRoomId} />
        ))}
      </ul>
    </section>
  );
}

/**
 * The room picker: invitations to answer, direct chats and rooms, a search over them, and the way to
 * start a room or a direct chat. Files dropped on the list (not on one room) ask which room.
 */
export function RoomList() {
  const rooms = useMatrix((state) => state.rooms);
  const phase = useMatrix((state) => state.phase);
  const selectedRoomId = useMatrix((state) => state.selectedRoomId);
  const problem = useMatrix((state) => state.problem);
  const askForRoom = useSending((state) => state.askForRoom);
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState<'room' | 'direct' | null>(null);
  const shown = rooms.filter((room) => matchesSearch(room, query));
  const invites = shown.filter((room) => room.membership === 'invite');
  const joined = shown.filter((room) => room.membership === 'join');

  const onDragOver = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
  };
  const onDrop = (event: DragEvent) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.stopPropagation();
    askForRoom({ kind: 'dropped', items: droppedItems(event.dataTransfer) });
  };

  return (
    <nav className="room-list" aria-label="Rooms" onDragOver={onDragOver} onDrop={onDrop}>
      <div className="room-list-actions">
        {/* The first thing to do while there is no room; one way among others once there are. */}
        <button
          type="button"
          className={rooms.length === 0 ? 'primary' : undefined}
          onClick={() => setCreating('room')}
        >
          New room
        </button>
        <button type="button" onClick={() => setCreating('direct')}>
          New direct chat
        </button>
      </div>
      <RoomSearch query={query} onChange={setQuery} />
      {(phase === 'starting' || phase === 'syncing') && (
        <p role="status" className="room-list-status">
          Catching up with your homeserver…
        </p>
      )}
      {problem && <ErrorNotice message={problem} />}
      {phase === 'keysMissing' && <SignInAgainButton />}
      {invites.length > 0 && (
        <section className="room-section" aria-labelledby="rooms-invites">
          <h3 id="rooms-invites">Invitations</h3>
          <ul className="room-items">
            {invites.map((room) => (
              <InviteItem key={room.roomId} room={room} />
            ))}
          </ul>
        </section>
      )}
      <Section title="Direct chats" rooms={joined.filter((room) => room.isDirect)} selectedRoomId={selectedRoomId} />
      <Section title="Rooms" rooms={joined.filter((room) => !room.isDirect)} selectedRoomId={selectedRoomId} />
      {phase === 'ready' && rooms.length === 0 && (
        <p className="room-list-empty">No rooms yet. Start one with New room, or wait for an invitation.</p>
      )}
      {phase === 'ready' && rooms.length > 0 && shown.length === 0 && (
        <p className="room-list-empty">No room matches “{query}”.</p>
      )}
      {creating && <NewRoomDialog kind={creating} onClose={() => setCreating(null)} />}
    </nav>
  );
}
