import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import {
  dispatchInvoke,
  type Envelope,
  type EventName,
  invokeNames,
  parseEventPayload,
  type PayloadOf,
} from '../../shared/ipc/contract-kit.js';
import {
  type AppContract,
  appContract,
  DROPPED_PATH_CHANNEL,
  type SlipstreamHandlers,
} from '../../shared/ipc-contract.js';
import { absolutePathSchema } from '../../shared/app/identifiers.js';

/*
 * The app contract on Electron's IPC: one ipcMain.handle per invoke channel, derived from the contract
 * so none can be missing, each answering through dispatchInvoke (request checked, errors turned into a
 * code and a sentence, answer checked); and events pushed to the window after their payload is checked.
 */

export interface AppContractServerOptions {
  /** Whether a call comes from the renderer's own page (renderer-origin.ts). */
  readonly isTrustedFrame: (frame: IpcMainInvokeEvent['senderFrame']) => boolean;
  readonly log: (line: string) => void;
}

const untrustedSender: Envelope = {
  ok: false,
  error: { code: 'UNTRUSTED_SENDER', message: 'Only the Slipstream window may use this; the call was refused.' },
};

/** Registers a handler for every channel of the app contract; returns what removes them again. */
export function serveAppContract(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: SlipstreamHandlers,
  { isTrustedFrame, log }: AppContractServerOptions,
): () => void {
  const channels = invokeNames(appContract).map((name) => {
    const { channel } = appContract.invoke[name];
    ipcMain.handle(channel, async (event, request: unknown): Promise<Envelope> => {
      // Any frame that reaches a handler — another origin navigated to, a frame inside the page — is
      // refused before the request is even read.
      if (!isTrustedFrame(event.senderFrame)) {
        log(`refused ${channel} from a frame outside the app (${event.senderFrame?.url ?? 'gone'})`);
        return untrustedSender;
      }
      return dispatchInvoke(appContract, handlers, name, request, {
        onUnexpected: (failed, error) =>
          log(`${failed} failed unexpectedly: ${(error as Error).stack ?? String(error)}`),
      });
    });
    return channel;
  });
  return () => channels.forEach((channel) => ipcMain.removeHandler(channel));
}

/** The window events go to; an event for a closed window is dropped. */
export interface EventTarget {
  isDestroyed(): boolean;
  readonly webContents: Pick<WebContents, 'send' | 'isDestroyed'>;
}

/** Pushes an event to the window on its channel, after checking the payload against the contract. */
export function pushAppEvent<E extends EventName<AppContract>>(
  target: EventTarget | undefined,
  event: E,
  payload: PayloadOf<AppContract, E>,
  log: (line: string) => void,
): void {
  if (!target || target.isDestroyed() || target.webContents.isDestroyed()) return;
  let checked: PayloadOf<AppContract, E>;
  try {
    checked = parseEventPayload(appContract, event, payload);
  } catch (error) {
    log(`did not push ${event}: ${(error as Error).message}`);
    return;
  }
  target.webContents.send(appContract.events[event].channel, checked);
}

/**
 * The preload's report of a file dropped on the window (DROPPED_PATH_CHANNEL): granted, so the page may
 * then send it. Only from the app's own page, only an absolute path.
 */
export function listenForDroppedPaths(
  ipcMain: { on(channel: string, listener: (event: IpcMainEvent, path: unknown) => void): unknown },
  isTrustedFrame: AppContractServerOptions['isTrustedFrame'],
  grant: (path: string) => void,
  log: (line: string) => void,
): void {
  ipcMain.on(DROPPED_PATH_CHANNEL, (event, path: unknown) => {
    const checked = absolutePathSchema.safeParse(path);
    if (!isTrustedFrame(event.senderFrame) || !checked.success) {
      log(`ignored a dropped path from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
      return;
    }
    grant(checked.data);
  });
}
