import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { MatrixHttpError } from './matrix-http-error.js';
import { TransferError } from './transfer-error.js';

/**
 * When to try again. A transfer retries transient failures (the network, a server restarting, a rate
 * limit, MSC2246's "not yet uploaded") with exponential backoff and gives up after `maxAttempts`
 * consecutive failures without progress; any progress resets the count. Everything else (a refusal,
 * tampering, a changed source, a full disk) is final at once.
 */
export interface RetryPolicy {
  /** Consecutive failed attempts, without progress in between, before the transfer fails. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 10, initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * For tests that run whole processes (the browser host, the engine host): SLIPSTREAM_TEST_FAST_RETRY=1
 * waits a tenth of a second instead of half, so a test of a lost connection does not last minutes.
 */
export function retryPolicyFromEnvironment(environment: NodeJS.ProcessEnv = process.env): RetryPolicy | undefined {
  return environment['SLIPSTREAM_TEST_FAST_RETRY'] === '1'
    ? { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000 }
    : undefined;
}

/** The wait before attempt `attempt` (1-based): doubling, capped, with ±20 % jitter so clients spread out. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, serverAskedMs?: number): number {
  const backoff = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = backoff * (0.8 + Math.random() * 0.4);
  return Math.round(Math.max(jittered, serverAskedMs ?? 0));
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  // A body shorter than its Content-Length: the connection ended early.
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** A failure of the connection itself: nothing the server said, so trying again may work. */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

function hasNetworkCode(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error.message === 'fetch failed' || error.message === 'terminated' || /socket hang up/.test(error.message)) {
    return true;
  }
  return hasNetworkCode(error.cause, depth + 1);
}

export function isTransient(error: unknown): boolean {
  if (error instanceof TransferError || error instanceof CodecError) return false;
  if (error instanceof MatrixHttpError) return error.transient;
  if (error instanceof NetworkError) return true;
  return hasNetworkCode(error);
}

/** The server's `retry_after_ms`, when it gave one. */
export function serverRetryAfterMs(error: unknown): number | undefined {
  return error instanceof MatrixHttpError ? error.retryAfterMs : undefined;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, retrying transient failures under `policy`. `progressMark` is read
 * after each failure: when it moved since the previous failure, the attempt made progress and the
 * failure count starts again, so a long transfer over a flaky link never runs out of retries.
 */
export async function withRetries<T>(options: {
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  readonly attempt: () => Promise<T>;
  readonly progressMark: () => number;
  readonly onRetry: (attempt: number, inMs: number, error: unknown) => void;
}): Promise<T> {
  const { policy, signal } = options;
  let failures = 0;
  let mark = options.progressMark();
  for (;;) {
    try {
      return await options.attempt();
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isTransient(error)) throw error;
      const now = options.progressMark();
      if (now !== mark) {
        failures = 0;
        mark = now;
      }
      failures++;
      if (failures >= policy.maxAttempts) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new TransferError('NETWORK', `gave up after ${failures} attempts without progress: ${reason}`, {
          cause: error,
        });
      }
      const delay = retryDelayMs(policy, failures, serverRetryAfterMs(error));
      options.onRetry(failures, delay, error);
      await sleep(delay, signal);
    }
  }
}
