import { describe, expect, it } from 'vitest';
import type { TransferStatus, TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import { summariseProgress, TransferProgressTracker } from './progress-summary.js';

function update(id: string, status: TransferStatus, bytesDone: number, bytesTotal: number): TransferUpdate {
  return {
    id,
    direction: 'send',
    status,
    createdAt: 1_800_000_000_000,
    fileName: `${id}.bin`,
    mimetype: 'application/octet-stream',
    bytesDone,
    bytesTotal,
    rate: 0,
  };
}

describe('summariseProgress', () => {
  it('counts moving transfers for the badge and weighs the bar by bytes across moving and paused ones', () => {
    const summary = summariseProgress([
      update('a', 'uploading', 30, 100),
      update('b', 'downloading', 0, 100),
      update('c', 'queued', 0, 0),
      update('d', 'paused', 70, 200),
    ]);
    expect(summary).toEqual({ active: 3, paused: 1, fraction: 100 / 400 });
  });

  it('leaves finished transfers out entirely', () => {
    const summary = summariseProgress([
      update('a', 'completed', 100, 100),
      update('b', 'failed', 5, 100),
      update('c', 'cancelled', 5, 100),
      update('d', 'uploading', 25, 100),
    ]);
    expect(summary).toEqual({ active: 1, paused: 0, fraction: 0.25 });
  });

  it('leaves out receives that wait for their sender’s outcome: nothing moves there, maybe for good', () => {
    const waiting = {
      ...update('a', 'downloading', 100, 100),
      direction: 'receive' as const,
      waitingForOutcome: true as const,
    };
    expect(summariseProgress([waiting, update('b', 'downloading', 10, 100)])).toEqual({
      active: 1,
      paused: 0,
      fraction: 0.1,
    });
  });

  it('has no fraction when nothing is in progress, or no size is known yet', () => {
    expect(summariseProgress([])).toEqual({ active: 0, paused: 0, fraction: undefined });
    expect(summariseProgress([update('a', 'completed', 9, 9)]).fraction).toBeUndefined();
    expect(summariseProgress([update('a', 'queued', 0, 0)])).toEqual({ active: 1, paused: 0, fraction: undefined });
  });

  it('never passes 1, even if a transfer reports more bytes done than its size', () => {
    expect(summariseProgress([update('a', 'downloading', 150, 100)]).fraction).toBe(1);
  });
});

describe('TransferProgressTracker', () => {
  it('announces a transfer completing or failing once, when it was seen unfinished first', () => {
    const tracker = new TransferProgressTracker();
    expect(tracker.apply(update('a', 'uploading', 10, 100))).toBeUndefined();
    expect(tracker.apply(update('b', 'downloading', 10, 100))).toBeUndefined();
    expect(tracker.summary()).toEqual({ active: 2, paused: 0, fraction: 0.1 });

    expect(tracker.apply(update('a', 'completed', 100, 100))).toBe('completed');
    expect(tracker.apply(update('a', 'completed', 100, 100))).toBeUndefined();
    expect(tracker.apply(update('b', 'failed', 10, 100))).toBe('failed');
    expect(tracker.summary()).toEqual({ active: 0, paused: 0, fraction: undefined });
  });

  it('does not announce transfers that had finished before it heard of them, nor cancellations', () => {
    const tracker = new TransferProgressTracker();
    expect(tracker.apply(update('old', 'completed', 1, 1))).toBeUndefined();
    expect(tracker.apply(update('old-failure', 'failed', 0, 1))).toBeUndefined();
    tracker.apply(update('c', 'uploading', 0, 1));
    expect(tracker.apply(update('c', 'cancelled', 0, 1))).toBeUndefined();
  });

  it('announces a retried transfer again when it ends a second time', () => {
    const tracker = new TransferProgressTracker();
    tracker.apply(update('a', 'uploading', 0, 10));
    expect(tracker.apply(update('a', 'failed', 0, 10))).toBe('failed');
    tracker.apply(update('a', 'uploading', 5, 10));
    expect(tracker.apply(update('a', 'completed', 10, 10))).toBe('completed');
  });

  it('takes a listing only for transfers it has not heard of, so a late listing cannot set progress back', () => {
    const tracker = new TransferProgressTracker();
    tracker.apply(update('a', 'uploading', 80, 100));
    tracker.apply(update('gone', 'uploading', 0, 100));
    tracker.apply(update('gone', 'completed', 100, 100));
    tracker.seed([
      update('a', 'uploading', 10, 100),
      update('gone', 'uploading', 50, 100),
      update('new', 'paused', 20, 100),
      update('done-earlier', 'completed', 100, 100),
    ]);
    expect(tracker.summary()).toEqual({ active: 1, paused: 1, fraction: 100 / 200 });
  });

  it('drops a forgotten transfer from the bar', () => {
    const tracker = new TransferProgressTracker();
    tracker.apply(update('a', 'paused', 1, 2));
    tracker.forget('a');
    expect(tracker.summary().paused).toBe(0);
  });
});
