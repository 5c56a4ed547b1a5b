import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppInfo, SendSource, SlipstreamApi } from '../../../../shared/ipc-contract';
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

export interface SendingState {
  readonly copying: readonly CopyingFile[];
  /** Files handed to the app from outside (command line, a second launch), waiting for Send or Dismiss. */
  readonly offered: readonly string[];
  /** Sends that could not start, in words. */
  readonly problems: readonly SendProblem[];
  readonly choosing: boolean;
  /** Asks for files (the system's dialog, or the host's chooser) and sends them. */
  chooseAndSend(): Promise<void>;
  sendPaths(paths: readonly string[]): Promise<void>;
  sendDropped(items: readonly DroppedItem[]): void;
  cancelCopy(key: string): void;
  dismissCopy(key: string): void;
  acceptOffer(): Promise<void>;
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
}

let nextKey = 0;
const freshKey = () => `send-${++nextKey}`;

/**
 * Everything that starts a send: the Send files button, files dropped on the window and files handed
 * over from outside. Each ends in `sendFile`; from then on the transfer is the engine's and shows in
 * the transfers panel. In a browser a dropped file is first copied into the host's spool, with its own
 * progress here, since the page cannot give the host its path.
 */
export function createSendingStore({ api, appInfo, chooser, pathForFile }: SendingDependencies): SendingStore {
  const aborts = new Map<string, () => void>();

  const updateCopy = (key: string, change: Partial<CopyingFile>) =>
    store.setState((state) => ({
      copying: state.copying.map((file) => (file.key === key ? { ...file, ...change } : file)),
    }));
  const removeCopy = (key: string) =>
    store.setState((state) => ({ copying: state.copying.filter((file) => file.key !== key) }));
  const addProblem = (message: string) =>
    store.setState((state) => ({ problems: [...state.problems, { key: freshKey(), message }] }));

  const send = async (source: SendSource) => {
    await api.sendFile({ source });
  };

  const copyAndSend = async (file: File) => {
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
      await send({ kind: 'spooled', spoolId });
      removeCopy(key);
    } catch (error) {
      aborts.delete(key);
      if ((error as { code?: unknown }).code === COPY_CANCELLED) removeCopy(key);
      else updateCopy(key, { phase: 'failed', error: messageOf(error) });
    }
  };

  const store = createStore<SendingState>((set, get) => ({
    copying: [],
    offered: [],
    problems: [],
    choosing: false,

    async chooseAndSend() {
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
      if (paths && paths.length > 0) await get().sendPaths(paths);
    },

    async sendPaths(paths) {
      await Promise.all(
        paths.map(async (path) => {
          try {
            await send({ kind: 'path', path });
          } catch (error) {
            addProblem(`${baseName(path)} could not be sent: ${messageOf(error)}`);
          }
        }),
      );
    },

    sendDropped(items) {
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
          if (path) void get().sendPaths([path]);
          else addProblem(`${file.name} is not a file on this computer, so it cannot be sent from where it is.`);
        } else {
          void copyAndSend(file);
        }
      }
    },

    cancelCopy(key) {
      aborts.get(key)?.();
    },

    dismissCopy(key) {
      removeCopy(key);
    },

    async acceptOffer() {
      const paths = get().offered;
      set({ offered: [] });
      await get().sendPaths(paths);
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
