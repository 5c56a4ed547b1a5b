import { eventNames, EventListeners, invokeNames } from '../../../shared/ipc/contract-kit';
import { IpcError } from '../../../shared/ipc/ipc-error';
import { connectContract } from '../../../shared/ipc/message-link';
import { type AppContract, appContract, type SlipstreamApi } from '../../../shared/ipc-contract';
import { browserSocketLink } from './browser-socket-link';
import type { ConnectionPhase } from './connection-phase';

type Connected = ReturnType<typeof connectContract<AppContract>>;

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

/**
 * The contract over the browser host's WebSocket, kept up across drops. `api` is one stable object for
 * the page's lifetime: calls go to the current connection (and fail with DISCONNECTED in words while
 * there is none), event listeners stay registered across reconnections. When the socket closes, one
 * plain request tells a host that is down (try again, with backoff) from one that was restarted
 * (its cookie is no longer valid: a 401, which only a new printed address can fix).
 */
export class HostConnection {
  readonly api: SlipstreamApi;
  private current: Connected | undefined;
  /** The page's listeners, kept across connections; each connection delivers into them. */
  private readonly listeners = new EventListeners(appContract, (error) =>
    console.error('Slipstream: an event listener failed', error),
  );
  private readonly reconnectListeners = new Set<() => void>();
  private failures = 0;
  private everConnected = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly origin: string,
    private readonly onPhase: (phase: ConnectionPhase) => void,
  ) {
    this.api = this.makeFacade();
  }

  start(): void {
    this.onPhase({ kind: 'connecting' });
    this.open();
  }

  /** Called after each reconnection (not the first connection): what the page shows must be read again. */
  onReconnected(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private open(): void {
    const socket = new WebSocket(`${this.origin.replace(/^http/, 'ws')}/ipc`);
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      this.failures = 0;
      const connection = connectContract(browserSocketLink(socket), appContract, {
        onListenerError: (error) => console.warn('Slipstream: an event could not be delivered', error),
      });
      for (const event of eventNames(appContract)) {
        connection.on(event, (payload) => this.listeners.deliver(event, payload));
      }
      this.current = connection;
      this.onPhase({ kind: 'connected' });
      if (this.everConnected) for (const listener of [...this.reconnectListeners]) listener();
      this.everConnected = true;
    });
    socket.addEventListener('close', () => {
      this.current?.disconnect();
      this.current = undefined;
      void this.afterClose(opened);
    });
  }

  private async afterClose(wasOpen: boolean): Promise<void> {
    if (await this.hostRefusesUs()) {
      this.onPhase({ kind: 'refused' });
      return;
    }
    if (!wasOpen) this.failures += 1;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    this.onPhase({ kind: 'reconnecting', attempt: this.failures + 1, retryAt: Date.now() + delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  /** A browser gives no reason for a refused WebSocket; the same cookie on a plain request does. */
  private async hostRefusesUs(): Promise<boolean> {
    try {
      const response = await fetch(`${this.origin}/`, { method: 'HEAD', cache: 'no-store' });
      return response.status === 401;
    } catch {
      return false;
    }
  }

  private makeFacade(): SlipstreamApi {
    const facade: Record<string, unknown> = {
      on: this.listeners.add.bind(this.listeners),
    };
    for (const name of invokeNames(appContract)) {
      facade[name] = (request?: unknown) => {
        const connection = this.current;
        if (!connection) {
          return Promise.reject(
            new IpcError(
              'DISCONNECTED',
              'Slipstream is not connected at the moment; try again once it has reconnected.',
            ),
          );
        }
        return (connection[name] as (request?: unknown) => Promise<unknown>)(request);
      };
    }
    return facade as SlipstreamApi;
  }
}
