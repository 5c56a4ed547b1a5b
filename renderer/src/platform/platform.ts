import { createStore, type StoreApi } from 'zustand/vanilla';
import { invokeNames } from '../../../shared/ipc/contract-kit';
import { reviveIpcError } from '../../../shared/ipc/ipc-error';
import {
  API_GLOBAL_NAME,
  appContract,
  type ElectronBridgeExtras,
  type SlipstreamApi,
} from '../../../shared/ipc-contract';
import type { ConnectionPhase } from './connection-phase';
import { HostConnection } from './host-connection';

export interface ConnectionState {
  readonly phase: ConnectionPhase;
}

/** How this page reaches the main side: the preload's bridge in Electron, the host's WebSocket in a browser. */
export interface Platform {
  readonly api: SlipstreamApi;
  readonly connection: StoreApi<ConnectionState>;
  /** Electron only: the path of a dropped file, so it is sent from where it is. */
  readonly pathForFile?: (file: File) => string;
  /** Called after the connection came back (browser host only): the page reads its state again. */
  onReconnected(listener: () => void): () => void;
}

type ElectronBridge = SlipstreamApi & ElectronBridgeExtras;

function electronBridge(): ElectronBridge | undefined {
  const candidate = (window as unknown as Record<string, unknown>)[API_GLOBAL_NAME];
  return typeof candidate === 'object' && candidate !== null ? (candidate as ElectronBridge) : undefined;
}

/**
 * The preload's API with its failures made IpcErrors again: contextBridge copies an Error with its
 * message only, so the preload rejects with `{ name: 'IpcError', code, message }` (reviveIpcError).
 */
function revivingFailures(bridge: ElectronBridge): SlipstreamApi {
  const api: Record<string, unknown> = { on: bridge.on };
  for (const name of invokeNames(appContract)) {
    const call = bridge[name] as (request?: unknown) => Promise<unknown>;
    api[name] = (request?: unknown) =>
      call(request).catch((reason: unknown) => {
        throw reviveIpcError(reason);
      });
  }
  return api as unknown as SlipstreamApi;
}

/** Finds the bridge or starts connecting to the host the page was served by. */
export function openPlatform(): Platform {
  const bridge = electronBridge();
  if (bridge) {
    return {
      api: revivingFailures(bridge),
      // The preload is in this very process: there is nothing to lose and nothing to reconnect.
      connection: createStore<ConnectionState>(() => ({ phase: { kind: 'connected' } })),
      pathForFile: (file) => bridge.pathForFile(file),
      onReconnected: () => () => undefined,
    };
  }
  const connection = createStore<ConnectionState>(() => ({ phase: { kind: 'connecting' } }));
  const host = new HostConnection(window.location.origin, (phase) => connection.setState({ phase }));
  host.start();
  return { api: host.api, connection, onReconnected: (listener) => host.onReconnected(listener) };
}
