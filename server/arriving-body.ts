import { MatrixError } from './http/matrix-error.js';

/** Why a body stopped before its end without its connection breaking. */
const IDLE = Symbol('idle');
const TAKEN_OVER = Symbol('taken over');

/** The connection closes after these answers: the rest of the body is never read. */
function closing(error: MatrixError): MatrixError {
  error.headers.Connection = 'close';
  return error;
}

export const bodyTimedOut = (idleMs: number): MatrixError =>
  closing(
    new MatrixError(
      408,
      'ORG.MATRIX.MSC4016_BODY_TIMEOUT',
      `The request body sent nothing for ${idleMs / 1000} s and was ended; an upload keeps what arrived and resumes from its offset`,
    ),
  );

export const takenOver = (): MatrixError =>
  closing(
    new MatrixError(
      409,
      'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS',
      'A newer request by the same user took this upload over; what this one sent is kept',
    ),
  );

/**
 * The chunks of an upload body as they arrive, ended early in two ways that keep the connection able to
 * carry an answer: 408 when the sender sends nothing for `idleMs` (0: never), 409 when `takeOver` aborts
 * (a newer request by the upload's owner wants it). Only time spent waiting for the sender counts as
 * idle: while the consumer is busy writing, TCP holds the sender back and the clock does not run.
 *
 * Neither ending destroys the request, so the caller can still answer; the answers carry
 * `Connection: close`, and the unread rest of the body goes with the connection. A watchdog checks
 * a few times per idle period rather than arming a timer per chunk, which a fast upload would pay for
 * hundreds of thousands of times.
 */
export async function* arrivingChunks(
  body: AsyncIterable<Buffer>,
  idleMs: number,
  takeOver?: AbortSignal,
): AsyncGenerator<Buffer> {
  const chunks = body[Symbol.asyncIterator]();
  let waitingSince: number | undefined;
  let interrupt: ((reason: typeof IDLE | typeof TAKEN_OVER) => void) | undefined;
  const watchdog =
    idleMs > 0
      ? setInterval(
          () => {
            if (waitingSince !== undefined && performance.now() - waitingSince >= idleMs) interrupt?.(IDLE);
          },
          Math.max(10, Math.min(idleMs / 4, 5_000)),
        ).unref()
      : undefined;
  const onTakeOver = (): void => interrupt?.(TAKEN_OVER);
  takeOver?.addEventListener('abort', onTakeOver);
  try {
    for (;;) {
      if (takeOver?.aborted) throw takenOver();
      waitingSince = performance.now();
      const next = chunks.next();
      const outcome = await new Promise<IteratorResult<Buffer> | typeof IDLE | typeof TAKEN_OVER>((resolve, reject) => {
        interrupt = resolve;
        next.then(resolve, reject);
      });
      waitingSince = undefined;
      interrupt = undefined;
      // An interrupted read stays pending until the connection closes; its outcome is already handled.
      if (outcome === IDLE) throw bodyTimedOut(idleMs);
      if (outcome === TAKEN_OVER) throw takenOver();
      if (outcome.done) return;
      yield outcome.value;
    }
  } finally {
    clearInterval(watchdog);
    takeOver?.removeEventListener('abort', onTakeOver);
  }
}
