import { type FormEvent, useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { FormEnd } from '../../components/FormEnd';
import { useMatrix } from '../matrix/use-matrix';
import { createDirectChat, createRoom, parseUserIds } from '../matrix/room-actions';
import { useRoomAction } from './use-room-action';

interface NewRoomDialogProps {
  readonly kind: 'room' | 'direct';
  readonly onClose: () => void;
}

/** A new room (encrypted unless the person says otherwise) with people invited, or a direct chat. */
export function NewRoomDialog({ kind, onClose }: NewRoomDialogProps) {
  const client = useMatrix((state) => state.client);
  const select = useMatrix((state) => state.select);
  const [name, setName] = useState('');
  const [people, setPeople] = useState('');
  const [encrypted, setEncrypted] = useState(true);
  const { busy, error, run } = useRoomAction();
  const direct = kind === 'direct';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!client) return;
    let roomId = '';
    const done = await run('create', async () => {
      const invite = parseUserIds(people);
      if (direct) {
        if (invite.length !== 1)
          throw new Error('Type the Matrix ID of the one person to chat with, like @name:example.org.');
        roomId = await createDirectChat(client, invite[0]!);
      } else {
        if (!name.trim()) throw new Error('Give the room a name, so people know what it is for.');
        roomId = await createRoom(client, { name, invite, encrypted });
      }
    });
    if (done) {
      select(roomId);
      onClose();
    }
  };

  return (
    <Dialog title={direct ? 'New direct chat' : 'New room'} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {!direct && (
          <div className="field">
            <label htmlFor="new-room-name">Room name</label>
            <input
              id="new-room-name"
              type="text"
              value={name}
              onChange={(event) => setName(event.target.value)}
              autoComplete="off"
            />
          </div>
        )}
        <div className="field">
          <label htmlFor="new-room-people">
            {direct ? 'Matrix ID of the person' : 'Invite (Matrix IDs, optional)'}
          </label>
          <input
            id="new-room-people"
            type="text"
            value={people}
            onChange={(event) => setPeople(event.target.value)}
            placeholder="@name:example.org"
            autoComplete="off"
            aria-describedby="new-room-people-hint"
          />
          <small id="new-room-people-hint" className="hint">
            {direct
              ? 'They get an invitation to an encrypted chat with you.'
              : 'Separate several with spaces or commas. You can invite more later.'}
          </small>
        </div>
        {!direct && (
          <div className="field field-check">
            <input
              id="new-room-encrypted"
              type="checkbox"
              checked={encrypted}
              onChange={(event) => setEncrypted(event.target.checked)}
              aria-describedby="new-room-encrypted-hint"
            />
            <label htmlFor="new-room-encrypted">End-to-end encrypted</label>
            <small id="new-room-encrypted-hint" className="hint">
              {encrypted
                ? 'Only the people in the room can read its messages and files. Encryption cannot be turned off later.'
                : 'Messages and files can be read by the homeserver. Keep encryption on unless everything here is public.'}
            </small>
          </div>
        )}
        {/* Right after signing in, the client may still be opening: the submit waits for it. */}
        <FormEnd
          problem={error}
          onCancel={onClose}
          submitLabel={direct ? 'Start chat' : 'Create room'}
          busyLabel="Creating…"
          busy={busy !== null}
          {...(!client && { notYet: 'Connecting…' })}
        />
      </form>
    </Dialog>
  );
}
