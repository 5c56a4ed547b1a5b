import { type ContractApi, eventNames } from '../../../shared/ipc/contract-kit.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { connectContract, type MessageLink, serveContract } from '../../../shared/ipc/message-link.js';
import type { SlipstreamHandlers } from '../../../shared/ipc-contract.js';
import type { EventSink } from '../app/app-backend.js';
import {
  type EngineHostContract,
  engineHostContract,
  FORWARDED_CHANNELS,
  type ForwardedChannel,
  type HostPlatformHandlers,
  hostPlatformContract,
  type MediaEndpoint,
} from './engine-host-contract.js';

/** A started engine host process, whatever started it (Electron's utilityProcess, or Node's fork in tests). */
export interface EngineProcess {
  readonly link: MessageLink;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type EngineApi = ContractApi<EngineHostContract> & { disconnect(): void };

export interface SupervisorOptions {
  /** Starts a new engine host process. */
  readonly spawn: () => EngineProcess;
  /** What main does for the engine host (keychain, shell). */
  readonly platform: HostPlatformHandlers;
  /** Receives the engine host's pushed events, to send on to the renderer. */
  readonly onEvent: EventSink;
  readonly log: (line: string) => void;
  /** Told of each engine host as it starts, before any call reaches it (to pass on path grants). */
  readonly onStart?: (api: EngineApi) => void;
  /** Restarts allowed within `crashWindowMs` before giving up. */
  readonly maxRestarts?: number;
  readonly crashWindowMs?: number;
  /** How long a shutdown may take before the process is killed. */
  readonly shutdownTimeoutMs?: number;
}

interface Incarnation {
  readonly process: EngineProcess;
  readonly api: EngineApi;
  readonly exited: Promise<number | null>;
  endpoint?: MediaEndpoint;
}

/**
 * Main's side of the engine host: starts its process, serves it the platform contract, forwards its
 * events, and starts it again if it dies (its transfers resume, as after any crash). Calls made while
 * it is restarting fail with ENGINE_UNAVAILABLE rather than hanging.
 */
export class EngineHostSupervisor {
  private current: Incarnation | undefined;
  private crashes: number[] = [];
  private stopping = false;
  private gaveUp = false;

  constructor(private readonly options: SupervisorOptions) {}

  start(): void {
    const process = this.options.spawn();
    const served = serveContract(process.link, hostPlatformContract, this.options.platform, {
      onUnexpected: (name, error) =>
        this.options.log(`platform ${name} failed: ${(error as Error).stack ?? String(error)}`),
    });
    const api = connectContract(process.link, engineHostContract, {
      onListenerError: (error) => this.options.log(`an engine event failed: ${(error as Error).message}`),
    });
    for (const event of eventNames(engineHostContract)) {
      api.on(event, (payload) => this.options.onEvent(event, payload as never));
    }
    this.options.onStart?.(api);
    const exited = new Promise<number | null>((resolve) => process.onExit(resolve));
    const incarnation: Incarnation = { process, api, exited };
    this.current = incarnation;
    void api.mediaEndpoint().then(
      (endpoint) => (incarnation.endpoint = endpoint),
      (error: unknown) => this.options.log(`the engine's media endpoint is unavailable: ${(error as Error).message}`),
    );
    void exited.then((code) => {
      served.stop();
      api.disconnect();
      if (this.current === incarnation) this.current = undefined;
      if (!this.stopping) this.restartAfterCrash(code);
    });
  }

  /** The running engine host's API; throws ENGINE_UNAVAILABLE while there is none. */
  api(): EngineApi {
    if (!this.current) {
      throw new IpcError(
        'ENGINE_UNAVAILABLE',
        this.gaveUp
          ? "Slipstream's transfer engine keeps stopping, so it was not started again; quit Slipstream and open it again."
          : "Slipstream's transfer engine is restarting; try again in a moment.",
      );
    }
    return this.current.api;
  }

  mediaEndpoint(): MediaEndpoint | undefined {
    return this.current?.endpoint;
  }

  /** Asks the engine host to stop its transfers where they are and exit; kills it if it takes too long. */
  async stop(): Promise<void> {
    this.stopping = true;
    const incarnation = this.current;
    if (!incarnation) return;
    const timeout = this.options.shutdownTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      incarnation.api.shutdown().catch(() => null),
      new Promise((resolve) => (timer = setTimeout(resolve, timeout))),
    ]);
    clearTimeout(timer);
    incarnation.process.kill();
    await Promise.race([incarnation.exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
  }

  private restartAfterCrash(code: number | null): void {
    const now = Date.now();
    const window = this.options.crashWindowMs ?? 60_000;
    this.crashes = [...this.crashes.filter((time) => now - time < window), now];
    const limit = this.options.maxRestarts ?? 5;
    if (this.crashes.length > limit) {
      this.options.log(
        `the transfer engine stopped (exit code ${code}) ${this.crashes.length} times in a minute; not restarting it`,
      );
      return;
    }
    const delay = Math.min(8000, 250 * 2 ** (this.crashes.length - 1));
    this.options.log(`the transfer engine stopped (exit code ${code}); starting it again in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopping) this.start();
    }, delay).unref();
  }
}

/**
 * Main's handlers for the app channels the engine host answers: each call goes to whichever engine host
 * is running, unchanged. Failures keep the engine host's code and sentence.
 */
export function forwardingHandlers(api: () => EngineApi): Pick<SlipstreamHandlers, ForwardedChannel> {
  const handlers: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const name of FORWARDED_CHANNELS) {
    handlers[name] = (request) => (api()[name] as (request: unknown) => Promise<unknown>)(request);
  }
  return handlers as unknown as Pick<SlipstreamHandlers, ForwardedChannel>;
}
