import { describe, expect, it } from 'vitest';
import { AppendPipeline } from './append-pipeline.js';
import type { AcknowledgeOptions, MediaAppender } from './storage/media-store.js';

/** An appender whose writes and syncs finish only when the test says so, recording what happened. */
class ControlledAppender implements MediaAppender {
  writtenOffset = 0;
  recordedOffset = 0;
  readonly writes: number[][] = [];
  readonly pendingWrites: (() => void)[] = [];
  readonly pendingSyncs: (() => void)[] = [];
  syncsStarted = 0;
  /** Whether each acknowledgement asked for was an interim checkpoint. */
  readonly interim: boolean[] = [];

  append(chunks: readonly Uint8Array[]): Promise<void> {
    this.writes.push(chunks.map((chunk) => chunk.byteLength));
    return new Promise((resolve) =>
      this.pendingWrites.push(() => {
        this.writtenOffset += chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
        resolve();
      }),
    );
  }

  acknowledge(options?: AcknowledgeOptions): Promise<number> {
    const target = this.writtenOffset;
    this.syncsStarted += 1;
    this.interim.push(options?.interim ?? false);
    return new Promise((resolve) =>
      this.pendingSyncs.push(() => {
        this.recordedOffset = Math.max(this.recordedOffset, target);
        resolve(this.recordedOffset);
      }),
    );
  }

  async complete(): Promise<void> {
    this.recordedOffset = this.writtenOffset;
  }

  async close(): Promise<void> {}
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const chunk = (length: number): Buffer => Buffer.alloc(length);

describe('AppendPipeline', () => {
  it('writes a chunk at once when idle, and everything that arrived during a write together in the next one', async () => {
    const appender = new ControlledAppender();
    const pipeline = new AppendPipeline(appender, { acknowledgeEvery: 1_000_000, onWritten: () => {} });
    pipeline.push(chunk(10));
    pipeline.push(chunk(20));
    pipeline.push(chunk(30));
    expect(appender.writes).toEqual([[10]]);
    appender.pendingWrites.shift()!();
    await flush();
    expect(appender.writes).toEqual([[10], [20, 30]]);
    expect(pipeline.receivedOffset).toBe(60);
  });

  it('keeps writing while an acknowledgement runs, and acknowledges only what was written before it began', async () => {
    const appender = new ControlledAppender();
    const written: number[] = [];
    const pipeline = new AppendPipeline(appender, {
      acknowledgeEvery: 100,
      onWritten: (offset) => written.push(offset),
    });
    pipeline.push(chunk(100));
    appender.pendingWrites.shift()!();
    await flush();
    // 100 bytes written: a sync started, covering them.
    expect(appender.syncsStarted).toBe(1);
    pipeline.push(chunk(50));
    expect(appender.writes).toEqual([[100], [50]]);
    appender.pendingWrites.shift()!();
    await flush();
    expect(written).toEqual([100, 150]);
    // The write after the sync began is readable, but not recorded until a sync covers it.
    expect(appender.recordedOffset).toBe(0);
    appender.pendingSyncs.shift()!();
    await flush();
    expect(appender.recordedOffset).toBe(100);
    // A checkpoint while the body arrives is interim; the one a client is told about is not.
    const final = pipeline.acknowledgeAll();
    await flush();
    appender.pendingSyncs.shift()!();
    expect(await final).toBe(150);
    expect(appender.interim).toEqual([true, false]);
  });

  it('holds the sender back while too many bytes wait for the disk', async () => {
    const appender = new ControlledAppender();
    const pipeline = new AppendPipeline(appender, { acknowledgeEvery: 1024, onWritten: () => {} });
    for (let i = 0; i < 4; i++) pipeline.push(chunk(1024));
    let released = false;
    const waiting = pipeline.whileCongested().then(() => (released = true));
    await flush();
    expect(released).toBe(false);
    appender.pendingWrites.shift()!();
    await flush();
    appender.pendingWrites.shift()!();
    await flush();
    appender.pendingSyncs.shift()!();
    await flush();
    await waiting;
    expect(released).toBe(true);
  });

  it('acknowledgeAll writes the queue, waits for the sync in flight, and returns the recorded offset', async () => {
    const appender = new ControlledAppender();
    const pipeline = new AppendPipeline(appender, { acknowledgeEvery: 1_000_000, onWritten: () => {} });
    pipeline.push(chunk(5));
    pipeline.push(chunk(7));
    const acknowledged = pipeline.acknowledgeAll();
    appender.pendingWrites.shift()!();
    await flush();
    appender.pendingWrites.shift()!();
    await flush();
    appender.pendingSyncs.shift()!();
    expect(await acknowledged).toBe(12);
  });

  it('reports a failed write to the receive loop instead of swallowing it', async () => {
    const appender = new ControlledAppender();
    appender.append = () => Promise.reject(new Error('disk full'));
    const pipeline = new AppendPipeline(appender, { acknowledgeEvery: 1024, onWritten: () => {} });
    pipeline.push(chunk(1));
    await flush();
    expect(() => pipeline.push(chunk(1))).toThrow('disk full');
    await expect(pipeline.acknowledgeAll()).rejects.toThrow('disk full');
  });
});
