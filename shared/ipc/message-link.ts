import { z } from 'zod';
import {
  checkRequest,
  type Contract,
  type ContractApi,
  type ContractHandlers,
  type DispatchOptions,
  dispatchInvoke,
  type EventName,
  EventListeners,
  type InvokeName,
  invokeNames,
  openEnvelope,
  parseEventPayload,
  type PayloadOf,
} from './contract-kit.js';
import { IpcError } from './ipc-error.js';

/*
 * A contract carried over any message channel: the browser host's WebSocket (JSON text) and the
 * MessagePort between Electron's main process and the engine's utility process (structured clone).
 * Electron's own ipcMain/ipcRenderer pair has request/response built in and uses contract-kit
 * directly. One link can carry a contract each way: each side serves one and calls the other's.
 */

/** The least a transport must offer: send a message, hear messages, and (optionally) hear it close. */
export interface MessageLink {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
  onClose?(listener: () => void): () => void;
}

const callId = z.number().int().nonnegative();
const linkMessageSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('invoke'), id: callId, name: z.string().max(100), request: z.unknown().optional() }),
  z.strictObject({ t: z.literal('result'), id: callId, envelope: z.unknown() }),
  z.strictObject({ t: z.literal('event'), name: z.string().max(100), payload: z.unknown() }),
]);
type LinkMessage = z.infer<typeof linkMessageSchema>;

function readMessage(raw: unknown): LinkMessage | undefined {
  const parsed = linkMessageSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export interface ServedContract<C extends Contract> {
  /** Pushes an event to the other side, after checking its payload against the contract. */
  emit<E extends EventName<C>>(event: E, payload: PayloadOf<C, E>): void;
  /** Stops answering; calls already running finish but their answers are dropped. */
  stop(): void;
}

export interface ServeOptions extends DispatchOptions {
  /** Told of messages that are not part of the protocol at all (a foreign or broken peer). */
  readonly onMalformed?: (raw: unknown) => void;
}

/** Answers the contract's calls that arrive on `link` with `handlers`. */
export function serveContract<C extends Contract>(
  link: MessageLink,
  contract: C,
  handlers: ContractHandlers<C>,
  options: ServeOptions = {},
): ServedContract<C> {
  let stopped = false;
  const unsubscribe = link.onMessage((raw) => {
    const message = readMessage(raw);
    if (!message) {
      options.onMalformed?.(raw);
      return;
    }
    if (message.t !== 'invoke') return;
    void dispatchInvoke(contract, handlers, message.name, message.request, options).then((envelope) => {
      if (stopped) return;
      try {
        link.send({ t: 'result', id: message.id, envelope });
      } catch {
        // The link closed while the call ran; there is nobody left to answer.
      }
    });
  });
  return {
    emit(event, payload) {
      if (stopped) return;
      const checked = parseEventPayload(contract, event, payload);
      link.send({ t: 'event', name: event, payload: checked });
    },
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}

export interface ConnectOptions {
  /** Told when a listener throws or an event breaks the contract. */
  readonly onListenerError?: (error: unknown) => void;
}

/** The contract's API over `link`: each call sends one message and waits for its answer. */
export function connectContract<C extends Contract>(
  link: MessageLink,
  contract: C,
  options: ConnectOptions = {},
): ContractApi<C> & { disconnect(): void } {
  const pending = new Map<number, { resolve(envelope: unknown): void; reject(error: Error): void }>();
  const listeners = new EventListeners(contract, options.onListenerError);
  let nextId = 0;
  let closed = false;

  const failPending = () => {
    closed = true;
    for (const { reject } of pending.values()) {
      reject(new IpcError('DISCONNECTED', 'the connection to Slipstream closed before it answered'));
    }
    pending.clear();
  };

  const unsubscribe = link.onMessage((raw) => {
    const message = readMessage(raw);
    if (!message) return;
    if (message.t === 'result') {
      const call = pending.get(message.id);
      pending.delete(message.id);
      call?.resolve(message.envelope);
    } else if (message.t === 'event') {
      listeners.deliver(message.name, message.payload);
    }
  });
  const unsubscribeClose = link.onClose?.(failPending);

  const call = async (name: InvokeName<C>, request: unknown): Promise<unknown> => {
    const checked = checkRequest(contract, name, request);
    if (closed) throw new IpcError('DISCONNECTED', 'the connection to Slipstream is closed');
    const id = nextId++;
    const envelope = await new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        link.send({ t: 'invoke', id, name, request: checked });
      } catch {
        pending.delete(id);
        reject(new IpcError('DISCONNECTED', 'the connection to Slipstream is closed'));
      }
    });
    return openEnvelope(contract, name, envelope);
  };

  const api: Record<string, unknown> = {
    on: (event: EventName<C>, listener: (payload: PayloadOf<C, EventName<C>>) => void) =>
      listeners.add(event, listener),
    disconnect: () => {
      unsubscribe();
      unsubscribeClose?.();
      failPending();
    },
  };
  for (const name of invokeNames(contract)) api[name] = (request?: unknown) => call(name, request);
  return api as ContractApi<C> & { disconnect(): void };
}
