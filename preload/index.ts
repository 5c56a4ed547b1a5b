import { contextBridge, ipcRenderer } from 'electron';
import {
  API_GLOBAL_NAME,
  invokeChannels,
  parseInvokeResponse,
  type InvokeName,
  type SlipstreamApi,
} from '../shared/ipc-contract.js';

/*
 * The renderer's only way into the main process. It receives plain functions, one per channel in the
 * contract, never `ipcRenderer` itself: a compromised page can call what is listed here and nothing else.
 */

function invoker<Name extends InvokeName>(name: Name): SlipstreamApi[Name] {
  const { channel } = invokeChannels[name];
  return async () => parseInvokeResponse(name, await ipcRenderer.invoke(channel));
}

// Typed as SlipstreamApi, so a channel added to the contract fails to compile until it is bridged here.
const api: SlipstreamApi = {
  versions: invoker('versions'),
};

contextBridge.exposeInMainWorld(API_GLOBAL_NAME, api);
