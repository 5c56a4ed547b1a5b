import { z } from 'zod';

/**
 * How a failure crosses a process boundary: a stable machine code and one sentence a person can act
 * on. Never a stack trace, never an object graph: the renderer is untrusted and shows what it gets.
 */
export const ipcFailureSchema = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'must be an upper-case code'),
  message: z.string().min(1).max(2000),
});
export type IpcFailure = z.infer<typeof ipcFailureSchema>;

/** The codes the contract itself produces; handlers add their own (TransferError's, CodecError's). */
export type ContractErrorCode =
  /** The request does not match the channel's schema. */
  | 'INVALID_REQUEST'
  /** No such channel: a caller built against another version of the contract. */
  | 'UNKNOWN_CHANNEL'
  /** The answer broke the contract: a bug on the answering side. */
  | 'INVALID_RESPONSE'
  /** The other side went away (the app is quitting, the connection dropped) before it answered. */
  | 'DISCONNECTED'
  /** Something nobody anticipated; the details are in the answering side's log, not in the message. */
  | 'INTERNAL';

/** A failure as the caller sees it: `code` to branch on, `message` to show. */
export class IpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IpcError';
  }

  toFailure(): IpcFailure {
    return { code: this.code, message: this.message };
  }
}

const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;
const MAX_MESSAGE = 2000;

/** The first line of a message, bounded: stack frames and dumped objects never follow it across. */
function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

/**
 * Any thrown value as an IpcFailure. Errors that carry their own upper-case `code` and a sentence
 * (IpcError, the engine's TransferError, the codec's CodecError) keep them; anything else is INTERNAL,
 * with a sentence that does not pretend to know more than it does.
 */
export function failureOf(error: unknown): IpcFailure {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = firstLine(error.message);
    if (typeof code === 'string' && CODE.test(code) && message) return { code, message };
    return {
      code: 'INTERNAL',
      message:
        `Slipstream hit an unexpected problem${message ? ` (${message})` : ''}. Try again; if it keeps happening, restart the app.`.slice(
          0,
          MAX_MESSAGE,
        ),
    };
  }
  return {
    code: 'INTERNAL',
    message: 'Slipstream hit an unexpected problem. Try again; if it keeps happening, restart the app.',
  };
}

/** A zod failure as one sentence naming the field: "the request is not valid at "source.path": …". */
export function describeSchemaIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at "${issue.path.map(String).join('.')}"` : '';
  return `${what} is not valid${where}: ${issue?.message ?? 'it does not match the contract'}`;
}

/**
 * An IpcError again from a failure the preload sent across contextBridge, which copies an Error with
 * its message only (electron/electron#25596): the preload rejects with `{ name: 'IpcError', code,
 * message }` and the renderer revives it, so both front ends hand the app the same IpcError.
 */
export function reviveIpcError(reason: unknown): unknown {
  if (reason instanceof IpcError) return reason;
  const candidate = reason as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (candidate?.name !== 'IpcError') return reason;
  const parsed = ipcFailureSchema.safeParse({ code: candidate.code, message: candidate.message });
  return parsed.success ? new IpcError(parsed.data.code, parsed.data.message) : reason;
}
