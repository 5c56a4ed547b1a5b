import { type FormEvent, useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { FormEnd } from '../../components/FormEnd';
import { useMatrix } from '../matrix/use-matrix';
import { invite, leaveRoom, parseUserIds } from '../matrix/room-actions';
import { useRoomAction } from '../rooms/use-room-action';

interface RoomDialogProps {
  readonly roomId: string;
  readonly roomName: string;
  readonly onClose: () => void;
}

export function InviteDialog({ roomId, roomName, onClose }: RoomDialogProps) {
  const client = useMatrix((state) => state.client);
  const [people, setPeople] = useState('');
  const { busy, error, run } = useRoomAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!client) return;
    const done = await run('invite', async () => {
      const ids = parseUserIds(people);
      if (ids.length === 0) throw new Error('Type the Matrix ID of someone to invite, like @name:example.org.');
      await invite(client, roomId, ids);
    });
    if (done) onClose();
  };
  return (
    <Dialog title={`Invite to ${roomName}`} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label htmlFor="invite-people">Matrix IDs</label>
          <input
            id="invite-people"
            type="text"
            value={people}
            onChange={(event) => setPeople(event.target.value)}
            placeholder="@name:example.org"
            autoComplete="off"
          />
          <small className="hint">Separate several with spaces or commas.</small>
        </div>
        <FormEnd problem={error} onCancel={onClose} submitLabel="Invite" busyLabel="Inviting…" busy={busy !== null} />
      </form>
    </Dialog>
  );
}

export function LeaveRoomDialog({ roomId, roomName, onClose }: RoomDialogProps) {
  const client = useMatrix((state) => state.client);
  const select = useMatrix((state) => state.select);
  const { busy, error, run } = useRoomAction();
  const leave = async () => {
    if (!client) return;
    if (await run('leave', () => leaveRoom(client, roomId))) {
      select(null);
      onClose();
    }
  };
  return (
    <Dialog
      role="alertdialog"
      title={`Leave ${roomName}?`}
      onClose={onClose}
      className="confirm"
      description={
        <p>You will stop receiving its messages and files. To come back, someone in the room must invite you again.</p>
      }
    >
      {error && (
        <p className="field-problem" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" data-autofocus onClick={onClose}>
          Stay
        </button>
        <button type="button" className="primary" disabled={busy !== null} onClick={() => void leave()}>
          {busy ? 'Leaving…' : 'Leave room'}
        </button>
      </div>
    </Dialog>
  );
}
