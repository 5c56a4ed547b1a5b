import { OpenedFilesOffer } from '../features/sending/OpenedFilesOffer';
import { SendProblems } from '../features/sending/SendProblems';
import { useSession } from '../features/session/use-session';
import { TransfersPanel } from '../features/transfers/TransfersPanel';
import { ErrorNotice } from '../components/ErrorNotice';
import { Problems } from '../features/problems/Problems';
import { RoomList } from '../features/rooms/RoomList';
import { RoomPickerDialog } from '../features/rooms/RoomPickerDialog';
import { RoomView } from '../features/room/RoomView';
import { useMatrix } from '../features/matrix/use-matrix';

function NoRoomSelected() {
  const hasRooms = useMatrix((state) => state.rooms.some((room) => room.membership === 'join'));
  const loading = useMatrix((state) => state.phase === 'starting' || state.phase === 'syncing');
  if (loading) {
    return (
      <div className="no-room empty-state">
        <p className="empty-title">Catching up with your homeserver…</p>
        <p>Your rooms and their messages appear in a moment.</p>
      </div>
    );
  }
  return (
    <div className="no-room empty-state">
      <p className="empty-title">{hasRooms ? 'Pick a room' : 'Start by creating a room'}</p>
      <p>
        {hasRooms
          ? 'Choose a room on the left to see its files and messages. Drop files on a room to send them — any size; people can download while you upload.'
          : 'Use New room to create an encrypted room and invite people, or accept an invitation. Then drop files on it.'}
      </p>
    </div>
  );
}

/** What a signed-in person works in: the rooms, the open room, and every transfer. */
export function Workspace({ inert }: { readonly inert: boolean }) {
  const sessionError = useSession((state) => state.error);
  const dismissMessages = useSession((state) => state.dismissMessages);
  const selectedRoomId = useMatrix((state) => state.selectedRoomId);
  const selectedExists = useMatrix((state) =>
    state.rooms.some((room) => room.roomId === state.selectedRoomId && room.membership === 'join'),
  );
  return (
    <main className="workspace workspace-rooms" inert={inert}>
      <div className="workspace-notices">
        {sessionError && <ErrorNotice message={sessionError} onDismiss={dismissMessages} />}
        <Problems />
        <OpenedFilesOffer />
        <SendProblems />
      </div>
      <RoomList />
      <div className="room-pane">
        {selectedRoomId && selectedExists ? <RoomView roomId={selectedRoomId} /> : <NoRoomSelected />}
      </div>
      <aside className="transfers-pane" aria-label="Transfers panel">
        <TransfersPanel />
      </aside>
      <RoomPickerDialog />
    </main>
  );
}
