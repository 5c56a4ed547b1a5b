import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SlipstreamApi } from '../../../../shared/ipc-contract';
import type { TransferStatus, TransferUpdate } from '../../../../shared/transfer/transfer-update';
import { messageOf } from '../../text/error-message';
import { statusWords } from './transfer-words';

export type TransferAction = 'pause' | 'resume' | 'cancel' | 'retry' | 'forget' | 'open' | 'showInFolder';

export interface TransfersState {
  /** Transfer IDs, newest first. */
  readonly order: readonly string[];
  readonly byId: Readonly<Record<string, TransferUpdate>>;
  readonly loaded: boolean;
  readonly loadError: string | null;
  /** The last failed action's sentence, per transfer. */
  readonly actionErrors: Readonly<Record<string, string>>;
  /** Transfers with an action under way (its buttons wait). */
  readonly busy: Readonly<Record<string, TransferAction>>;
  /** The last transfer that stopped moving, in words, for screen readers ("film.mp4: Completed"). */
  readonly announcement: string;
  load(): Promise<void>;
  act(id: string, action: TransferAction): Promise<void>;
  dismissError(id: string): void;
  /** Stops listening to the main side. */
  dispose(): void;
}

export type TransfersStore = StoreApi<TransfersState>;

const calls: Record<TransferAction, (api: SlipstreamApi, id: string) => Promise<null>> = {
  pause: (api, id) => api.pauseTransfer({ id }),
  resume: (api, id) => api.resumeTransfer({ id }),
  cancel: (api, id) => api.cancelTransfer({ id }),
  retry: (api, id) => api.retryTransfer({ id }),
  forget: (api, id) => api.forgetTransfer({ id }),
  open: (api, id) => api.openTransfer({ id }),
  showInFolder: (api, id) => api.showTransferInFolder({ id }),
};

/** States a person waits for; the progress in between is on the bar, not read out. */
const ANNOUNCED = new Set<TransferStatus>(['paused', 'completed', 'failed', 'cancelled']);

function without<T>(record: Readonly<Record<string, T>>, id: string): Record<string, T> {
  const { [id]: _removed, ...rest } = record;
  return rest;
}

/**
 * The engine's transfers as the main side reports them: one list at start (and after a reconnection),
 * then every update and removal it pushes. The engine is the only source of truth; this store never
 * guesses a state, it shows the last one reported.
 */
export interface TransfersHooks {
  /** Runs before a transfer is removed from the list (file-coordinator.ts tells the room about a failed send). */
  beforeForget?: (id: string) => Promise<void>;
}

export function createTransfersStore(api: SlipstreamApi, hooks: TransfersHooks = {}): TransfersStore {
  const store = createStore<TransfersState>((set, get) => ({
    order: [],
    byId: {},
    loaded: false,
    loadError: null,
    actionErrors: {},
    busy: {},
    announcement: '',

    async load() {
      try {
        // Both transports keep order (one WebSocket; Electron's IPC to one window): updates that arrive
        // after this answer are newer than it.
        const list = await api.listTransfers();
        const byId = Object.fromEntries(list.map((update) => [update.id, update]));
        const newestFirst = [...list].sort((a, b) => b.createdAt - a.createdAt);
        set({ byId, order: newestFirst.map((update) => update.id), loaded: true, loadError: null });
      } catch (error) {
        set({ loaded: true, loadError: `The transfers could not be listed: ${messageOf(error)}` });
      }
    },

    async act(id, action) {
      if (get().busy[id]) return;
      set((state) => ({ busy: { ...state.busy, [id]: action }, actionErrors: without(state.actionErrors, id) }));
      try {
        if (action === 'forget') await hooks.beforeForget?.(id);
        await calls[action](api, id);
      } catch (error) {
        set((state) => ({ actionErrors: { ...state.actionErrors, [id]: messageOf(error) } }));
      } finally {
        set((state) => ({ busy: without(state.busy, id) }));
      }
    },

    dismissError(id) {
      set((state) => ({ actionErrors: without(state.actionErrors, id) }));
    },

    dispose() {
      unsubscribeUpdated();
      unsubscribeForgotten();
    },
  }));

  const unsubscribeUpdated = api.on('transferUpdated', (update) => {
    store.setState((state) => {
      const previous = state.byId[update.id];
      const stopped = previous !== undefined && previous.status !== update.status && ANNOUNCED.has(update.status);
      return {
        byId: { ...state.byId, [update.id]: update },
        order: previous ? state.order : [update.id, ...state.order],
        ...(stopped && { announcement: `${update.fileName}: ${statusWords(update)}` }),
      };
    });
  });
  const unsubscribeForgotten = api.on('transferForgotten', ({ id }) => {
    store.setState((state) => ({
      byId: without(state.byId, id),
      order: state.order.filter((known) => known !== id),
      actionErrors: without(state.actionErrors, id),
    }));
  });
  return store;
}
