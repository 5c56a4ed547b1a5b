import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { LiveUploadRegistry } from './live-uploads.js';
import { ReaderBudget } from './reader-budget.js';
import type { MediaRecord } from './storage/media-store.js';

const settled = async (promise: Promise<void> | undefined): Promise<boolean> => {
  if (!promise) return true;
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('ReaderBudget', () => {
  it('does not limit readers while no upload is arriving', () => {
    const budget = new ReaderBudget(4, 1, 1 << 20);
    expect(budget.take(1 << 30)).toBeUndefined();
  });

  it('while an upload arrives, lets readers send `ratio` bytes per byte uploaded, in order', async () => {
    const budget = new ReaderBudget(4, 1, 1 << 20);
    budget.uploadStarted();
    const first = budget.take(4000);
    const second = budget.take(100);
    expect(await settled(first)).toBe(false);
    budget.credit(1000);
    expect(await settled(first)).toBe(true);
    // The second waited behind the first and now needs credit of its own.
    expect(await settled(second)).toBe(false);
    budget.credit(25);
    expect(await settled(second)).toBe(true);
    budget.uploadEnded();
  });

  it('earns the floor rate with time, so readers of a slow upload keep moving', async () => {
    const budget = new ReaderBudget(4, 1e9, 1 << 20);
    budget.uploadStarted();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await budget.take(64 * 1024);
    budget.uploadEnded();
  });

  it('releases every waiting reader when the last upload ends', async () => {
    const budget = new ReaderBudget(4, 1, 1 << 20);
    budget.uploadStarted();
    const waiting = budget.take(1 << 20);
    expect(await settled(waiting)).toBe(false);
    budget.uploadEnded();
    expect(await settled(waiting)).toBe(true);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once and the rest in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const finishers: (() => void)[] = [];
    const tasks = [0, 1, 2, 3].map((n) =>
      limit.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => finishers.push(resolve));
        return n;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    finishers.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    while (finishers.length > 0 || started.length < 4) {
      finishers.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
  });
});

const record = (mediaId: string): MediaRecord => ({
  serverName: 'example.test',
  mediaId,
  owner: '@a:example.test',
  createdAt: 0,
  expiresAt: 1,
  state: 'uploading',
  declaredLength: null,
  uploadOffset: 0,
  contentType: null,
  fileName: null,
});

describe('reader budgets per upload', () => {
  it('limit the readers of the upload being written, never readers of other media', async () => {
    const registry = new LiveUploadRegistry(() => new ReaderBudget(4, 1, 1 << 20));
    const written = record('written');
    const other = record('other');
    expect(registry.acquireWriter(written)).toBe(true);
    registry.budgetOf(written)!.uploadStarted();
    const unfollow = registry.follow(other);
    const limited = registry.budgetOf(written)!.take(1 << 20);
    expect(await settled(limited)).toBe(false);
    expect(registry.budgetOf(other)!.take(1 << 30)).toBeUndefined();
    registry.budgetOf(written)!.uploadEnded();
    expect(await settled(limited)).toBe(true);
    registry.releaseWriter(written);
    unfollow();
    expect(registry.size).toBe(0);
  });
});
