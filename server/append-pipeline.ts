import type { MediaAppender } from './storage/media-store.js';

export interface AppendPipelineOptions {
  /** Start an acknowledgement (fdatasync + recorded offset) once this many written bytes are unacknowledged. */
  readonly acknowledgeEvery: number;
  /** Called after each write with the new written offset: those bytes are readable from the store. */
  readonly onWritten: (writtenOffset: number) => void;
}

/*
 * Bounds on what the network may run ahead of the disk. Past them the receiver stops reading the body
 * (TCP then slows the sender), so memory stays flat and a crash never loses more than this unacknowledged.
 */
const MAX_QUEUED_BYTES = 8 * 2 ** 20;
const UNACKNOWLEDGED_INTERVALS = 4;

/**
 * Write-behind for one upload. Chunks arriving from the network queue while the previous write runs and
 * go to the store together in one write, so a fast sender costs one write per batch, not per TCP read,
 * and a slow one still gets each chunk written at once (the writer is idle when it arrives). An
 * acknowledgement runs beside the following writes instead of stopping the receive loop: it covers only
 * what was written before it started (MediaAppender's contract), so an offset is never acknowledged
 * before the sync that makes it durable has completed (docs/PROTOCOL.md §4.2).
 */
export class AppendPipeline {
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;
  private received: number;
  private acknowledged: number;
  private writing: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly appender: MediaAppender,
    private readonly options: AppendPipelineOptions,
  ) {
    this.received = appender.writtenOffset;
    this.acknowledged = appender.writtenOffset;
  }

  /** Every byte accepted so far, written or still queued. */
  get receivedOffset(): number {
    return this.received;
  }

  /** Queues a chunk and starts writing it if the store is idle. Call `whileCongested` after. */
  push(chunk: Uint8Array): void {
    this.throwIfFailed();
    if (chunk.byteLength === 0) return;
    this.queued.push(chunk);
    this.queuedBytes += chunk.byteLength;
    this.received += chunk.byteLength;
    this.startWrite();
  }

  /** Resolves once the queue and the unacknowledged bytes are back under their bounds. */
  async whileCongested(): Promise<void> {
    while (
      this.queuedBytes >= MAX_QUEUED_BYTES ||
      this.received - this.acknowledged >= UNACKNOWLEDGED_INTERVALS * this.options.acknowledgeEvery
    ) {
      this.throwIfFailed();
      // Nothing under way would wake us: a store that writes in its own time (parts of an object
      // store, stored in the background) is asked to make what it holds durable now.
      if (!this.writing && !this.syncing) this.startAcknowledgement(true);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.throwIfFailed();
  }

  /** Writes everything queued, makes it durable and records it; returns the acknowledged offset. */
  async acknowledgeAll(): Promise<number> {
    await this.settle();
    this.acknowledged = await this.appender.acknowledge();
    return this.acknowledged;
  }

  /** Writes everything queued, then acknowledges it and marks the upload complete. */
  async complete(): Promise<void> {
    await this.settle();
    await this.appender.complete();
    this.acknowledged = this.appender.writtenOffset;
  }

  /** Waits for the write and acknowledgement in flight and writes the rest of the queue. */
  private async settle(): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      this.startWrite();
      const pending = this.writing ?? this.syncing;
      if (!pending) return;
      await pending;
    }
  }

  private startWrite(): void {
    if (this.writing || this.queuedBytes === 0 || this.failure) return;
    const batch = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    this.writing = this.appender.append(batch).then(
      () => {
        this.writing = undefined;
        this.options.onWritten(this.appender.writtenOffset);
        this.startAcknowledgement();
        this.startWrite();
        this.wake();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private startAcknowledgement(force = false): void {
    if (this.syncing || this.failure) return;
    if (!force && this.appender.writtenOffset - this.acknowledged < this.options.acknowledgeEvery) return;
    this.syncing = this.appender.acknowledge({ interim: !force }).then(
      (offset) => {
        this.syncing = undefined;
        this.acknowledged = offset;
        this.startAcknowledgement();
        this.wake();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private fail(error: unknown): void {
    this.writing = undefined;
    this.syncing = undefined;
    this.failure ??= { error };
    this.wake();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
