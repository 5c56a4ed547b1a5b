import { contextBridge, ipcRenderer, webUtils } from 'electron';
import {
  checkRequest,
  eventNames,
  EventListeners,
  type InvokeName,
  invokeNames,
  openEnvelope,
} from '../shared/ipc/contract-kit.js';
import { failureOf } from '../shared/ipc/ipc-error.js';
import {
  API_GLOBAL_NAME,
  DROPPED_PATH_CHANNEL,
  type AppContract,
  appContract,
  type ElectronBridgeExtras,
  type SlipstreamApi,
} from '../shared/ipc-contract.js';

/*
 * The renderer's only way into the main process, derived from the contract: one function per invoke
 * channel, `on` for the pushed events, and the path of a dropped file. The page receives these plain
 * functions, never `ipcRenderer` itself: a compromised page can call what the contract lists and
 * nothing else. Requests are checked here first, so a caller's mistake is reported at the call; main
 * checks them again, since it trusts nothing from this process.
 *
 * contextBridge copies an Error across with its message only (electron/electron#25596), so a failure
 * crosses as a plain `{ name: 'IpcError', code, message }` object: the page keeps the code to branch
 * on and the sentence to show.
 */

function crossable(error: unknown): { name: 'IpcError'; code: string; message: string } {
  return { name: 'IpcError', ...failureOf(error) };
}

const listeners = new EventListeners(appContract, (error) =>
  console.error('A Slipstream event listener failed:', error),
);
for (const event of eventNames(appContract)) {
  ipcRenderer.on(appContract.events[event].channel, (_event, payload: unknown) => listeners.deliver(event, payload));
}

async function call(name: InvokeName<AppContract>, request: unknown): Promise<unknown> {
  try {
    const checked = checkRequest(appContract, name, request);
    return openEnvelope(appContract, name, await ipcRenderer.invoke(appContract.invoke[name].channel, checked));
  } catch (error) {
    throw crossable(error);
  }
}

// One function per channel of the contract's own list, so none can be missing.
const invokers = Object.fromEntries(
  invokeNames(appContract).map((name) => [name, (request?: unknown) => call(name, request)]),
) as unknown as Omit<SlipstreamApi, 'on'>;

const api: SlipstreamApi & ElectronBridgeExtras = {
  ...invokers,
  on: (event, listener) => listeners.add(event, listener),
  pathForFile: (file) => {
    const path = webUtils.getPathForFile(file as File);
    // A File the page made itself (from a Blob) has no path; only files on disk are sent from where they are.
    if (!path) throw new Error('This item is not a file on this computer, so it cannot be sent from where it is.');
    // Main grants the dropped file before the page can ask to send it (the same channel order).
    ipcRenderer.send(DROPPED_PATH_CHANNEL, path);
    return path;
  },
};

contextBridge.exposeInMainWorld(API_GLOBAL_NAME, api);
