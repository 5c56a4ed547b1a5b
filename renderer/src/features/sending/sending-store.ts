import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppInfo, SendSource, SlipstreamApi } from '../../../../shared/ipc-contract';
import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import { messageOf } from '../../text/error-message';
import { baseName } from '../../text/paths';
import type { ChooserStore } from '../file-chooser/chooser-store';
import { choosePaths } from '../file-chooser/choose-paths';
import type { DroppedItem } from './dropped-files';
import { COPY_CANCELLED, uploadToSpool } from './spool-upload';

/** A dropped file on its way into the browser host's spool, before its transfer exists. */
export interface CopyingFile {
  readonly key: string;
  readonly name: string;
  readonly size: number;
  readonly copied: number;
  /** `copying` into the spool, `starting` its send, `failed` at either (with `error`). */
  readonly phase: 'copying' | 'starting' | 'failed';
  readonly error: string | null;
}

export interface SendProblem {
  readonly key: string;
  readonly message: string;
}

/** Files waiting for the person to say which room they go to (dropped on the room list, or handed over). */
export type AwaitingRoom =
  | { readonly kind: 'dropped'; readonly items: readonly DroppedItem[] }
  | { readonly kind: 'paths'; readonly paths: readonly string[] };

export interface SendingState {
  readonly copying: readonly CopyingFile[];
  readonly awaitingRoom: AwaitingRoom | null;
  /** Files handed to the app from outside (command line, a second launch), waiting for Send or Dismiss. */
  readonly offered: readonly string[];
  /** Sends that could not start, in words. */
  readonly problems: readonly SendProblem[];
  readonly choosing: boolean;
  /** Asks for files (the system's dialog, or the host's chooser) and sends them to the room. */
  chooseAndSend(roomId: string): Promise<void>;
  sendPaths(paths: readonly string[], roomId: string): Promise<void>;
  sendDropped(items: readonly DroppedItem[], roomId: string): void;
  /** Keeps dropped files until the person picks their room (`sendToRoom`) or changes their mind. */
  askForRoom(awaiting: AwaitingRoom): void;
  sendToRoom(roomId: string): void;
  cancelAskingForRoom(): void;
  cancelCopy(key: string): void;
  dismissCopy(key: string): void;
  acceptOffer(roomId: string): Promise<void>;
  dismissOffer(): void;
  dismissProblem(key: string): void;
  /** Takes the files handed over before the page was listening. */
  start(): Promise<void>;
  dispose(): void;
}

export type SendingStore = StoreApi<SendingState>;

export interface SendingDependencies {
  readonly api: SlipstreamApi;
  readonly appInfo: AppInfo;
  readonly chooser: ChooserStore;
  /** Electron's path for a dropped file; absent in a browser. */
  readonly pathForFile?: (file: File) => string;
  /** Posts the room event for a send the engine started (file-coordinator.ts). */
  readonly announce: (roomId: string, sent: { transferId: string; content: FileMessageContent }) => Promise<void>;
}

let nextKey = 0;
const freshKey = () => `send-${++nextKey}`;

/**
 * Everything that starts a send: the Send files button, files dropped on the window and files handed
 * over from outside. Each ends in `sendFile`; from then on the transfer is the engine's and shows in
 * the transfers panel. In a browser a dropped file is first copied into the host's spool, with its own
 * progress here, since the page cannot give the host its path.
 */
export function createSendingStore({
  api,
  appInfo,
  chooser,
  pathForFile,
  announce,
}: SendingDependencies): SendingStore {
  const aborts = new Map<string, () => void>();

  const updateCopy = (key: string, change: Partial<CopyingFile>) =>
    store.setState((state) => ({
      copying: state.copying.map((file) => (file.key === key ? { ...file, ...change } : file)),
    }));
  const removeCopy = (key: string) =>
    store.setState((state) => ({ copying: state.copying.filter((file) => file.key !== key) }));
  const addProblem = (message: string) =>
    store.setState((state) => ({ problems: [...state.problems, { key: freshKey(), message }] }));

  /**
   * The engine answers with the event content as soon as the media ID exists; the room event goes out
   * at once, while the upload runs. A send whose event cannot be posted is cancelled: nobody could
   * find the file, so uploading it would only use the person's bandwidth.
   */
  const send = async (source: SendSource, roomId: string) => {
    const sent = await api.sendFile({ source, roomId });
    try {
      await announce(roomId, sent);
    } catch (error) {
      await api.cancelTransfer({ id: sent.transferId }).catch(() => undefined);
      throw new Error(`its message could not be posted in the room, so the upload was stopped (${messageOf(error)})`, {
        cause: error,
      });
    }
  };

  const copyAndSend = async (file: File, roomId: string) => {
    const key = freshKey();
    store.setState((state) => ({
      copying: [...state.copying, { key, name: file.name, size: file.size, copied: 0, phase: 'copying', error: null }],
    }));
    const upload = uploadToSpool(file, (copied) => updateCopy(key, { copied }));
    aborts.set(key, upload.abort);
    try {
      const { spoolId } = await upload.done;
      aborts.delete(key);
      updateCopy(key, { phase: 'starting', copied: file.size });
      await send({ kind: 'spooled', spoolId }, roomId);
      removeCopy(key);
    } catch (error) {
      aborts.delete(key);
      if ((error as { code?: unknown }).code === COPY_CANCELLED) removeCopy(key);
      else updateCopy(key, { phase: 'failed', error: messageOf(error) });
    }
  };

  const store = createStore<SendingState>((set, get) => ({
    copying: [],
    awaitingRoom: null,
    offered: [],
    problems: [],
    choosing: false,

    async chooseAndSend(roomId) {
      if (get().choosing) return;
      set({ choosing: true });
      let paths: string[] | null;
      try {
        paths = await choosePaths({ api, appInfo, chooser }, 'files', 'Choose files to send');
      } catch (error) {
        addProblem(`The files could not be chosen: ${messageOf(error)}`);
        return;
      } finally {
        set({ choosing: false });
      }
      if (paths && paths.length > 0) await get().sendPaths(paths, roomId);
    },

    async sendPaths(paths, roomId) {
      await Promise.all(
        paths.map(async (path) => {
          try {
            await send({ kind: 'path', path }, roomId);
          } catch (error) {
            addProblem(`${baseName(path)} could not be sent: ${messageOf(error)}`);
          }
        }),
      );
    },

    sendDropped(items, roomId) {
      for (const { file, isFolder } of items) {
        if (isFolder) {
          addProblem(`${file.name} is a folder. Slipstream sends files: open the folder and drop the files inside it.`);
        } else if (appInfo.droppedFiles === 'path' && pathForFile) {
          // Electron gives no path for something that is not a file on this computer (a drag from a web
          // page): the preload says so by throwing.
          let path: string | undefined;
          try {
            path = pathForFile(file) || undefined;
          } catch {
            path = undefined;
          }
          if (path) void get().sendPaths([path], roomId);
          else addProblem(`${file.name} is not a file on this computer, so it cannot be sent from where it is.`);
        } else {
          void copyAndSend(file, roomId);
        }
      }
    },

    cancelCopy(key) {
      aborts.get(key)?.();
    },

    dismissCopy(key) {
      removeCopy(key);
    },

    askForRoom(awaiting) {
      set({ awaitingRoom: awaiting });
    },

    sendToRoom(roomId) {
      const awaiting = get().awaitingRoom;
      set({ awaitingRoom: null });
      if (awaiting?.kind === 'dropped') get().sendDropped(awaiting.items, roomId);
      else if (awaiting?.kind === 'paths') void get().sendPaths(awaiting.paths, roomId);
    },

    cancelAskingForRoom() {
      set({ awaitingRoom: null });
    },

    async acceptOffer(roomId) {
      const paths = get().offered;
      set({ offered: [] });
      await get().sendPaths(paths, roomId);
    },

    dismissOffer() {
      set({ offered: [] });
    },

    dismissProblem(key) {
      set((state) => ({ problems: state.problems.filter((problem) => problem.key !== key) }));
    },

    async start() {
      try {
        const { paths } = await api.takeOpenedFiles();
        if (paths.length > 0) offer(paths);
      } catch (error) {
        addProblem(`The files Slipstream was started with could not be read: ${messageOf(error)}`);
      }
    },

    dispose() {
      unsubscribe();
      for (const abort of aborts.values()) abort();
    },
  }));

  const offer = (paths: readonly string[]) =>
    store.setState((state) => ({
      offered: [...state.offered, ...paths.filter((path) => !state.offered.includes(path))],
    }));
  const unsubscribe = api.on('filesOpened', ({ paths }) => offer(paths));
  return store;
}
