import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { MatrixHttpError } from './matrix-http-error.js';
import { isTransient, NetworkError, retryDelayMs, withRetries } from './retry-policy.js';
import { TransferError } from './transfer-error.js';

const quick = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 };

describe('retries', () => {
  it('classifies failures: the network and server trouble are transient, refusals and tampering are not', () => {
    expect(isTransient(new NetworkError('reset'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isTransient(new TypeError('fetch failed', { cause: Object.assign(new Error(), { code: 'ECONNREFUSED' }) })),
    ).toBe(true);
    expect(isTransient(new MatrixHttpError(502, undefined, 'bad gateway'))).toBe(true);
    expect(isTransient(new MatrixHttpError(429, 'M_LIMIT_EXCEEDED', 'slow down', 200))).toBe(true);
    expect(isTransient(new MatrixHttpError(504, 'M_NOT_YET_UPLOADED', 'not yet'))).toBe(true);
    expect(isTransient(new MatrixHttpError(403, 'M_FORBIDDEN', 'no'))).toBe(false);
    expect(isTransient(new MatrixHttpError(404, 'M_NOT_FOUND', 'gone'))).toBe(false);
    expect(isTransient(new CodecError('TAMPERED_BLOCK', 'x'))).toBe(false);
    expect(isTransient(new TransferError('SOURCE_CHANGED', 'x'))).toBe(false);
  });

  it('backs off exponentially within the cap, and never sooner than the server asked', () => {
    const policy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(policy, 1)).toBeGreaterThanOrEqual(80);
    expect(retryDelayMs(policy, 1)).toBeLessThanOrEqual(120);
    expect(retryDelayMs(policy, 3)).toBeGreaterThanOrEqual(320);
    expect(retryDelayMs(policy, 20)).toBeLessThanOrEqual(1200);
    expect(retryDelayMs(policy, 1, 5000)).toBe(5000);
  });

  it('gives up after maxAttempts failures without progress, naming the last reason', async () => {
    let calls = 0;
    const retries: number[] = [];
    const failure = await withRetries({
      policy: quick,
      signal: new AbortController().signal,
      progressMark: () => 0,
      onRetry: (attempt) => retries.push(attempt),
      attempt: async () => {
        calls++;
        throw new NetworkError('the connection broke');
      },
    }).catch((error: unknown) => error);
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(failure).toBeInstanceOf(TransferError);
    expect((failure as TransferError).code).toBe('NETWORK');
    expect((failure as Error).message).toMatch(/gave up after 3 attempts.*the connection broke/);
  });

  it('starts counting again whenever an attempt made progress', async () => {
    let progress = 0;
    let calls = 0;
    const result = await withRetries({
      policy: quick,
      signal: new AbortController().signal,
      progressMark: () => progress,
      onRetry: () => undefined,
      attempt: async () => {
        calls++;
        if (calls < 8) {
          if (calls % 2 === 0) progress++;
          throw new NetworkError('flaky');
        }
        return 'done';
      },
    });
    expect(result).toBe('done');
    expect(calls).toBe(8);
  });

  it('fails at once on a non-transient failure, and stops waiting when aborted', async () => {
    let calls = 0;
    await expect(
      withRetries({
        policy: quick,
        signal: new AbortController().signal,
        progressMark: () => 0,
        onRetry: () => undefined,
        attempt: async () => {
          calls++;
          throw new CodecError('TAMPERED_BLOCK', 'block 3 failed authentication');
        },
      }),
    ).rejects.toThrow(/block 3/);
    expect(calls).toBe(1);
    const controller = new AbortController();
    const stopped = withRetries({
      policy: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
      signal: controller.signal,
      progressMark: () => 0,
      onRetry: () => controller.abort(new Error('paused')),
      attempt: async () => {
        throw new NetworkError('down');
      },
    });
    await expect(stopped).rejects.toThrow('paused');
  });
});
