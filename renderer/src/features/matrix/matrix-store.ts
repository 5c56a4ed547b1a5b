import type { MatrixClient } from 'matrix-js-sdk';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StoredSession } from '../../../../shared/ipc-contract';
import { messageOf } from '../../text/error-message';
import { deleteDeviceKeys, DeviceKeysMissingError, startMatrixClient, stopMatrixClient } from './matrix-client';
import { roomSummaries, type RoomSummary } from './room-summaries';

/** `keysMissing`: a restored session this page holds no keys for (matrix-client.ts); only signing in again helps. */
export type MatrixPhase = 'stopped' | 'starting' | 'syncing' | 'ready' | 'failed' | 'keysMissing';

export interface MatrixState {
  readonly phase: MatrixPhase;
  /** Why it could not start, or why syncing stopped working, in words. */
  readonly problem: string | null;
  readonly client: MatrixClient | null;
  readonly rooms: readonly RoomSummary[];
  /** Bumps on every change to any room (timelines, decryption, membership): views recompute from it. */
  readonly revision: number;
  readonly selectedRoomId: string | null;
  /** `fresh`: the session was made by signing in just now (its key store does not exist yet). */
  start(session: StoredSession & { cryptoStoreKey: string }, fresh: boolean): Promise<void>;
  /** Stops syncing; with the session, also deletes this device's keys from the page. */
  stop(forget?: StoredSession): Promise<void>;
  select(roomId: string | null): void;
}

export type MatrixStore = StoreApi<MatrixState>;

/** Which room was open, per account, in the page's own storage (a room ID is no secret from the page). */
const lastRoom = {
  key: (userId: string) => `slipstream:last-room:${userId}`,
  read(userId: string): string | null {
    try {
      return localStorage.getItem(this.key(userId));
    } catch {
      return null;
    }
  },
  write(userId: string, roomId: string | null): void {
    try {
      if (roomId) localStorage.setItem(this.key(userId), roomId);
      else localStorage.removeItem(this.key(userId));
    } catch {
      // Storage may be unavailable (a private window): the app only forgets which room was open.
    }
  },
};

/** Client events after which the room list or a timeline may read differently. */
const CHANGE_EVENTS = [
  'Room',
  'deleteRoom',
  'accountData',
  'Room.timeline',
  'Room.timelineReset',
  'Room.myMembership',
  'Room.name',
  'Room.receipt',
  'Room.UnreadNotifications',
  'Room.localEchoUpdated',
  'Room.redaction',
  'RoomState.members',
  'RoomState.events',
  'Event.decrypted',
];

/**
 * The signed-in account's Matrix client and what the views need of it. Changes arrive in bursts (an
 * initial sync is hundreds of events), so the room list is recomputed once per animation frame at most.
 */
export function createMatrixStore(): MatrixStore {
  let detach: (() => void) | undefined;
  let generation = 0;

  const store = createStore<MatrixState>((set, get) => ({
    phase: 'stopped',
    problem: null,
    client: null,
    rooms: [],
    revision: 0,
    selectedRoomId: null,

    async start(session, fresh) {
      const mine = ++generation;
      detach?.();
      set({ phase: 'starting', problem: null, client: null, rooms: [], selectedRoomId: null });
      let client: MatrixClient;
      try {
        client = await startMatrixClient(session, fresh);
      } catch (error) {
        if (mine !== generation) return;
        if (error instanceof DeviceKeysMissingError) set({ phase: 'keysMissing', problem: error.message });
        else
          set({ phase: 'failed', problem: `Slipstream could not open your encrypted messages: ${messageOf(error)}` });
        return;
      }
      if (mine !== generation) {
        await stopMatrixClient(client);
        return;
      }
      let scheduled = false;
      const refresh = () => {
        if (scheduled) return;
        scheduled = true;
        requestAnimationFrame(() => {
          scheduled = false;
          if (mine !== generation) return;
          set((state) => ({ rooms: roomSummaries(client), revision: state.revision + 1 }));
        });
      };
      const onSync = (state: string, _previous: unknown, data?: { error?: Error }) => {
        if (mine !== generation) return;
        if (state === 'PREPARED' || state === 'SYNCING') set({ phase: 'ready', problem: null });
        else if (state === 'ERROR' || state === 'RECONNECTING')
          set({
            problem: `Cannot reach your homeserver right now${data?.error ? ` (${messageOf(data.error)})` : ''}. Slipstream keeps trying.`,
          });
        refresh();
      };
      const emitter = client as unknown as {
        on(event: string, listener: (...args: never[]) => void): void;
        off(event: string, listener: (...args: never[]) => void): void;
      };
      for (const event of CHANGE_EVENTS) emitter.on(event, refresh);
      emitter.on('sync', onSync);
      detach = () => {
        for (const event of CHANGE_EVENTS) emitter.off(event, refresh);
        emitter.off('sync', onSync);
      };
      // The room open when the window last closed opens again (once the sync has it).
      set({
        client,
        phase: client.isInitialSyncComplete() ? 'ready' : 'syncing',
        selectedRoomId: lastRoom.read(session.userId),
      });
      refresh();
    },

    async stop(forget) {
      generation += 1;
      detach?.();
      detach = undefined;
      const { client } = get();
      set({ phase: 'stopped', client: null, rooms: [], selectedRoomId: null, problem: null });
      if (client) await stopMatrixClient(client);
      if (forget) await deleteDeviceKeys(forget);
    },

    select(roomId) {
      set({ selectedRoomId: roomId });
      const userId = get().client?.getUserId();
      if (userId) lastRoom.write(userId, roomId);
    },
  }));
  return store;
}
