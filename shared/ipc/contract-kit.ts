import { z } from 'zod';
import { describeSchemaIssue, failureOf, IpcError, type IpcFailure, ipcFailureSchema } from './ipc-error.js';

/*
 * The machinery every typed contract in Slipstream is built from: a contract is one declaration of
 * request/response channels and pushed events, each with zod schemas. From it come the caller's API
 * type, the answering side's handler type (both mapped over the same keys, so neither can lack a
 * channel the other has) and the checks both sides run at the boundary. Transports (Electron IPC, a
 * WebSocket, a MessagePort) only move the envelopes these functions make and read.
 */

export interface InvokeSpec {
  /** The name on the wire (Electron's IPC channel). */
  readonly channel: `slipstream:${string}`;
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

export interface EventSpec {
  readonly channel: `slipstream:${string}`;
  readonly payload: z.ZodType;
}

export interface Contract {
  readonly invoke: Readonly<Record<string, InvokeSpec>>;
  readonly events: Readonly<Record<string, EventSpec>>;
}

export type InvokeName<C extends Contract> = keyof C['invoke'] & string;
export type EventName<C extends Contract> = keyof C['events'] & string;
export type RequestOf<C extends Contract, N extends InvokeName<C>> = z.input<C['invoke'][N]['request']>;
export type ResponseOf<C extends Contract, N extends InvokeName<C>> = z.output<C['invoke'][N]['response']>;
export type PayloadOf<C extends Contract, E extends EventName<C>> = z.output<C['events'][E]['payload']>;

/** A channel whose request may be left out is called with no argument. */
type Arguments<Request> = undefined extends Request ? [request?: Request] : [request: Request];

/** What a caller holds: one function per channel, and `on` for the pushed events. */
export type ContractApi<C extends Contract> = {
  readonly [N in InvokeName<C>]: (...args: Arguments<RequestOf<C, N>>) => Promise<ResponseOf<C, N>>;
} & {
  readonly on: <E extends EventName<C>>(event: E, listener: (payload: PayloadOf<C, E>) => void) => () => void;
};

/** What the answering side implements: one handler per channel, checked by the type system. */
export type ContractHandlers<C extends Contract> = {
  readonly [N in InvokeName<C>]: (
    request: z.output<C['invoke'][N]['request']>,
  ) => ResponseOf<C, N> | Promise<ResponseOf<C, N>>;
};

/** The answer to one call as it crosses: a value, or a failure with a code and a sentence. */
export type Envelope =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: IpcFailure };

const envelopeSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ipcFailureSchema }),
]);

export function invokeNames<C extends Contract>(contract: C): InvokeName<C>[] {
  return Object.keys(contract.invoke) as InvokeName<C>[];
}

export function eventNames<C extends Contract>(contract: C): EventName<C>[] {
  return Object.keys(contract.events) as EventName<C>[];
}

export function isInvokeName<C extends Contract>(contract: C, name: unknown): name is InvokeName<C> {
  return typeof name === 'string' && Object.hasOwn(contract.invoke, name);
}

export function isEventName<C extends Contract>(contract: C, name: unknown): name is EventName<C> {
  return typeof name === 'string' && Object.hasOwn(contract.events, name);
}

export interface DispatchOptions {
  /** Told of failures that are not the caller's fault (INTERNAL, INVALID_RESPONSE), with the whole error. */
  readonly onUnexpected?: (name: string, error: unknown) => void;
}

/**
 * The answering side of one call, whatever the transport: checks the channel and the request, runs the
 * handler, checks its answer, and returns an envelope that is safe to send (a thrown error becomes a
 * code and a sentence; its stack stays here, in the log).
 */
export async function dispatchInvoke<C extends Contract>(
  contract: C,
  handlers: ContractHandlers<C>,
  name: unknown,
  request: unknown,
  options: DispatchOptions = {},
): Promise<Envelope> {
  if (!isInvokeName(contract, name)) {
    return {
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL', message: `there is no channel called ${JSON.stringify(name)}` },
    };
  }
  const spec = contract.invoke[name]!;
  const parsed = spec.request.safeParse(request);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'INVALID_REQUEST', message: describeSchemaIssue(parsed.error, `the request on ${spec.channel}`) },
    };
  }
  let value: unknown;
  try {
    value = await handlers[name](parsed.data as never);
  } catch (error) {
    const failure = failureOf(error);
    if (failure.code === 'INTERNAL') options.onUnexpected?.(name, error);
    return { ok: false, error: failure };
  }
  const checked = spec.response.safeParse(value);
  if (!checked.success) {
    options.onUnexpected?.(name, checked.error);
    return {
      ok: false,
      error: { code: 'INVALID_RESPONSE', message: describeSchemaIssue(checked.error, `the answer on ${spec.channel}`) },
    };
  }
  return { ok: true, value: checked.data };
}

/**
 * The calling side's reading of an envelope: the value, checked against the channel's response schema,
 * or an IpcError with the failure's code and sentence. A malformed envelope is itself a failure.
 */
export function openEnvelope<C extends Contract, N extends InvokeName<C>>(
  contract: C,
  name: N,
  envelope: unknown,
): ResponseOf<C, N> {
  const spec = contract.invoke[name]!;
  const parsed = envelopeSchema.safeParse(envelope);
  if (!parsed.success) {
    throw new IpcError('INVALID_RESPONSE', describeSchemaIssue(parsed.error, `the answer on ${spec.channel}`));
  }
  if (!parsed.data.ok) throw new IpcError(parsed.data.error.code, parsed.data.error.message);
  const value = spec.response.safeParse(parsed.data.value);
  if (!value.success) {
    throw new IpcError('INVALID_RESPONSE', describeSchemaIssue(value.error, `the answer on ${spec.channel}`));
  }
  return value.data as ResponseOf<C, N>;
}

/**
 * Checks a request before it is sent, so a caller's mistake is reported at the call, in the caller's
 * process, with the same sentence the other side would give.
 */
export function checkRequest<C extends Contract>(contract: C, name: InvokeName<C>, request: unknown): unknown {
  const spec = contract.invoke[name]!;
  const parsed = spec.request.safeParse(request);
  if (!parsed.success) {
    throw new IpcError('INVALID_REQUEST', describeSchemaIssue(parsed.error, `the request on ${spec.channel}`));
  }
  return parsed.data;
}

/** Checks a pushed event's payload; both the sender and each receiver call it. */
export function parseEventPayload<C extends Contract, E extends EventName<C>>(
  contract: C,
  event: E,
  payload: unknown,
): PayloadOf<C, E> {
  const spec = contract.events[event]!;
  const parsed = spec.payload.safeParse(payload);
  if (!parsed.success) {
    throw new IpcError('INVALID_RESPONSE', describeSchemaIssue(parsed.error, `the event on ${spec.channel}`));
  }
  return parsed.data as PayloadOf<C, E>;
}

/**
 * Listeners of pushed events, by event name: what every transport's API object keeps. A listener that
 * throws is reported and does not stop the others.
 */
export class EventListeners<C extends Contract> {
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();

  constructor(
    private readonly contract: C,
    private readonly onListenerError: (error: unknown) => void = () => undefined,
  ) {}

  add<E extends EventName<C>>(event: E, listener: (payload: PayloadOf<C, E>) => void): () => void {
    if (!isEventName(this.contract, event)) throw new IpcError('UNKNOWN_CHANNEL', `there is no event called ${event}`);
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.listeners.set(event, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Delivers a payload that arrived from the other side, after checking it. */
  deliver(event: unknown, payload: unknown): void {
    if (!isEventName(this.contract, event)) return;
    const listeners = this.listeners.get(event);
    if (!listeners || listeners.size === 0) return;
    let checked: unknown;
    try {
      checked = parseEventPayload(this.contract, event, payload);
    } catch (error) {
      this.onListenerError(error);
      return;
    }
    for (const listener of [...listeners]) {
      try {
        (listener as (payload: unknown) => void)(checked);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
