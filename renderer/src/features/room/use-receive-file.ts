import { useState } from 'react';
import { useAppStores } from '../../app/app-stores';
import { messageOf } from '../../text/error-message';
import { useMatrix } from '../matrix/use-matrix';

export interface ReceiveFile {
  /** Starts downloading the file here (the file coordinator's `receive`); true once it has started. */
  readonly start: () => Promise<boolean>;
  readonly starting: boolean;
  readonly problem: string | null;
}

/**
 * What a card's Download, Play and View scene do: start receiving the file of event `eventId` in room
 * `roomId` (a card is shown only in the open room, which stands in when no room is given), saying why
 * in words when it cannot.
 */
export function useReceiveFile(eventId: string, roomId: string | undefined): ReceiveFile {
  const { files } = useAppStores();
  const client = useMatrix((state) => state.client);
  const openRoomId = useMatrix((state) => state.selectedRoomId);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const start = async () => {
    const room = client?.getRoom(roomId ?? openRoomId ?? '');
    const event = room?.findEventById(eventId);
    if (!room || !event) {
      setProblem('It could not be downloaded: its message is no longer in this room’s timeline.');
      return false;
    }
    setStarting(true);
    setProblem(null);
    try {
      await files.receive(room, event);
      return true;
    } catch (error) {
      setProblem(`It could not be downloaded: ${messageOf(error)}`);
      return false;
    } finally {
      setStarting(false);
    }
  };
  return { start, starting, problem };
}
