import { MatrixError } from '../../http/matrix-error.js';

/** A refusal that retrying cannot change (the upload was taken over or ended): never retried. */
export class FencedError extends Error {
  override name = 'FencedError';
}

/**
 * Runs `attempt` until it succeeds or `retryForMs` has passed, waiting 0.2 s doubling to 2 s between
 * tries: a restarting object store or database delays an upload by a few seconds instead of failing
 * it. After that the caller gets a 503 naming what failed; the upload keeps its acknowledged bytes
 * and the client resumes from them.
 */
export async function withRetry<T>(what: string, retryForMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + retryForMs;
  let waitMs = 200;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof FencedError || error instanceof MatrixError) throw error;
      if (performance.now() + waitMs > deadline) throw unavailable(what, error);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(2_000, waitMs * 2);
    }
  }
}

export function unavailable(what: string, error: unknown): MatrixError {
  const reason = (error as { code?: string; name?: string; message?: string } | undefined) ?? {};
  const detail = reason.code ?? reason.name ?? reason.message ?? String(error);
  const matrixError = new MatrixError(
    503,
    'M_UNKNOWN',
    `${what} is unavailable (${detail}); what was acknowledged is kept: resume the upload from its offset`,
    { retry_after_ms: 5_000 },
    { 'Retry-After': '5' },
  );
  matrixError.headers.Connection = 'close';
  return matrixError;
}
