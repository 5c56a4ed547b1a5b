import { z } from 'zod';

/**
 * How a failure crosses a process boundary: a stable machine code and one sentence a person can act
 * on. Never a stack trace, never an object graph: the renderer is untrusted and shows what it gets.
 */
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;
const MAX_MESSAGE = 2000;

/** Whether a text can be a failure's code. */
export const isFailureCode = (code: string): boolean => CODE.test(code);

export const ipcFailureSchema = z.strictObject({
  code: z.string().regex(CODE, 'must be an upper-case code'),
  message: z.string().min(1).max(MAX_MESSAGE),
});
export type IpcFailure = z.infer<typeof ipcFailureSchema>;

/** A failure as the caller sees it: `code` to branch on, `message` to show. */
export class IpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IpcError';
  }
}

/**
 * Errors whose `code` and message are written for people: the contract's own and the engine's,
 * codec's and sign-in's. Any other error with a code (Node's ERR_INVALID_ARG_TYPE, say) is a bug,
 * reported as INTERNAL and logged whole where it happened.
 */
const SPEAKING_ERRORS = new Set(['IpcError', 'TransferError', 'CodecError', 'MatrixRequestError']);

/** The first line of a message, bounded: stack frames and dumped objects never follow it across. */
function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

/**
 * Any thrown value as an IpcFailure. The errors written for people (SPEAKING_ERRORS) keep their code
 * and sentence; anything else is INTERNAL, with a sentence that does not pretend to know more than it does.
 */
export function failureOf(error: unknown): IpcFailure {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = firstLine(error.message);
    if (SPEAKING_ERRORS.has(error.name) && typeof code === 'string' && CODE.test(code) && message)
      return { code, message };
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
