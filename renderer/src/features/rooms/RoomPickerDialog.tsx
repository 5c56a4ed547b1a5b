import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { countOf } from '../../text/quantities';
import { useMatrix } from '../matrix/use-matrix';
import { RoomSearch } from './RoomSearch';
import { matchesSearch } from '../matrix/room-summaries';
import { useSending } from '../sending/use-sending';

/** Files waiting for a room (dropped on the room list, or handed over with no room open): which one? */
export function RoomPickerDialog() {
  const awaiting = useSending((state) => state.awaitingRoom);
  const sendToRoom = useSending((state) => state.sendToRoom);
  const cancel = useSending((state) => state.cancelAskingForRoom);
  const allRooms = useMatrix((state) => state.rooms);
  const select = useMatrix((state) => state.select);
  const [query, setQuery] = useState('');
  if (!awaiting) return null;
  const count = awaiting.kind === 'dropped' ? awaiting.items.length : awaiting.paths.length;
  const rooms = allRooms.filter((room) => room.membership === 'join');
  const shown = rooms.filter((room) => matchesSearch(room, query));
  return (
    <Dialog title={`Send ${countOf(count, 'file')} to which room?`} onClose={cancel}>
      <RoomSearch query={query} onChange={setQuery} />
      {rooms.length === 0 ? (
        <p>You are in no room yet. Create one first, then send the files there.</p>
      ) : (
        <ul className="room-picker" aria-label="Rooms to send to">
          {shown.map((room) => (
            <li key={room.roomId}>
              <button
                type="button"
                className="room-item"
                onClick={() => {
                  select(room.roomId);
                  sendToRoom(room.roomId);
                }}
              >
                <span className="room-name">{room.name}</span>
                {room.encrypted && <span className="room-meta"> · encrypted</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={cancel}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
