import type { ReaderBudget } from './reader-budget.js';
import type { MediaKey, MediaRecord } from './storage/media-store.js';

/**
 * In-process notification of upload progress, so any number of readers can follow an upload while it
 * arrives. Only offsets and states live here; readers read the bytes from the store, never from a
 * buffered copy, so memory does not grow with the file size or the number of readers.
 *
 * Within one process. With the object store, several instances share uploads: the store's change feed
 * (PostgreSQL LISTEN/NOTIFY) carries every instance's recorded progress here (cluster-live-bridge.ts).
 */

export type LivePhase = 'open' | 'complete' | 'cancelled' | 'expired';

export interface LiveUploadStatus {
  /** Bytes stored so far, readable now (may be above the acknowledged offset). */
  readonly writtenOffset: number;
  readonly declaredLength: number | null;
  readonly phase: LivePhase;
}

export function statusOf(record: MediaRecord): LiveUploadStatus {
  const phase: LivePhase =
    record.state === 'pending' || record.state === 'uploading' ? 'open' : (record.state as LivePhase);
  return { writtenOffset: record.uploadOffset, declaredLength: record.declaredLength, phase };
}

class LiveUpload {
  writerActive = false;
  /** What this upload's readers may send while it is being written (reader-budget.ts). */
  readonly budget: ReaderBudget;
  /** How to ask the active writer to stop (a PUT or PATCH being taken over); undefined if it cannot be. */
  releaseWriter: (() => void) | undefined;
  readers = 0;
  /** Called once at the next notification: readers and requests waiting for bytes or an end. */
  readonly waiters = new Set<() => void>();
  notificationScheduled = false;

  constructor(
    public status: LiveUploadStatus,
    budget: () => ReaderBudget,
  ) {
    this.budget = budget();
  }
}

const keyOf = (key: MediaKey): string => `${key.serverName}/${key.mediaId}`;

/**
 * How long a request taking an upload over waits for the writer it cut to let go: that writer first
 * writes and fsyncs what it received (up to a few acknowledgement intervals), then releases the slot.
 */
const TAKEOVER_WAIT_MS = 5_000;

export class LiveUploadRegistry {
  private readonly uploads = new Map<string, LiveUpload>();
  /**
   * Called when an upload starts being followed or written here. With a store shared by several
   * instances, the bridge re-reads its record then (cluster-live-bridge.ts): a change another instance
   * announced between this request's read of the record and now would otherwise be missed.
   */
  onTrack: ((key: MediaKey) => void) | undefined;

  /** `readerBudget` makes the budget of each upload followed or written. */
  constructor(private readonly readerBudget: () => ReaderBudget) {}

  /** The reader budget of an upload being followed or written (undefined when nobody is). */
  budgetOf(key: MediaKey): ReaderBudget | undefined {
    return this.uploads.get(keyOf(key))?.budget;
  }

  /** The live status if the upload is being followed or written, else what the record says. */
  status(record: MediaRecord): LiveUploadStatus {
    return this.uploads.get(keyOf(record))?.status ?? statusOf(record);
  }

  /** The phase of an upload being followed or written; undefined when nobody is. */
  phaseOf(key: MediaKey): LivePhase | undefined {
    return this.uploads.get(keyOf(key))?.status.phase;
  }

  private track(record: MediaRecord): LiveUpload {
    let upload = this.uploads.get(keyOf(record));
    if (!upload) {
      upload = new LiveUpload(statusOf(record), this.readerBudget);
      this.uploads.set(keyOf(record), upload);
      this.onTrack?.({ serverName: record.serverName, mediaId: record.mediaId });
    }
    return upload;
  }

  /**
   * Registers a reader for the whole of its response, so the live status it follows is kept even while
   * it is busy sending bytes rather than waiting. Call the returned function when the response ends.
   */
  follow(record: MediaRecord): () => void {
    const upload = this.track(record);
    upload.readers += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      upload.readers -= 1;
      this.forgetIfIdle(record, upload);
    };
  }

  /**
   * Claims the single writer slot of an upload; false if another request is already writing it.
   * `release`, when given, is how a later request may ask this writer to stop (takeOver).
   */
  acquireWriter(record: MediaRecord, release?: () => void): boolean {
    const upload = this.track(record);
    if (upload.writerActive) return false;
    upload.writerActive = true;
    upload.releaseWriter = release;
    return true;
  }

  /**
   * Claims the writer slot for a newer request by the upload's owner: an active writer is asked to let
   * go (it keeps and acknowledges what it received) and is waited for up to `waitMs`. False when the
   * slot is held by a writer that cannot be asked, or that did not let go in time.
   */
  async takeOver(record: MediaRecord, release: () => void, waitMs = TAKEOVER_WAIT_MS): Promise<boolean> {
    if (this.acquireWriter(record, release)) return true;
    const current = this.uploads.get(keyOf(record))?.releaseWriter;
    if (!current) return false;
    current();
    const deadline = performance.now() + waitMs;
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.acquireWriter(record, release)) return true;
    }
    return false;
  }

  releaseWriter(key: MediaKey): void {
    const upload = this.uploads.get(keyOf(key));
    if (!upload) return;
    upload.writerActive = false;
    upload.releaseWriter = undefined;
    this.forgetIfIdle(key, upload);
  }

  isBeingWritten(key: MediaKey): boolean {
    return this.uploads.get(keyOf(key))?.writerActive ?? false;
  }

  /** Announces new bytes (or a newly declared length) to every reader. */
  progress(key: MediaKey, writtenOffset: number, declaredLength?: number | null): void {
    const upload = this.uploads.get(keyOf(key));
    if (!upload || upload.status.phase !== 'open') return;
    upload.status = {
      writtenOffset,
      declaredLength: declaredLength === undefined ? upload.status.declaredLength : declaredLength,
      phase: 'open',
    };
    this.notify(upload);
  }

  /**
   * Announces bytes recorded by any instance (a store shared by several): like `progress`, but never
   * moves an upload back, since notifications from several sources may arrive out of order.
   */
  advance(key: MediaKey, writtenOffset: number, declaredLength: number | null): void {
    const upload = this.uploads.get(keyOf(key));
    if (!upload || upload.status.phase !== 'open') return;
    const { status } = upload;
    if (writtenOffset <= status.writtenOffset && (declaredLength ?? null) === status.declaredLength) return;
    this.progress(key, Math.max(writtenOffset, status.writtenOffset), declaredLength ?? status.declaredLength);
  }

  /** Uploads followed or written here now, for re-reading their records. */
  trackedKeys(): MediaKey[] {
    return [...this.uploads.keys()].map((text) => {
      const slash = text.indexOf('/');
      return { serverName: text.slice(0, slash), mediaId: text.slice(slash + 1) };
    });
  }

  /** Announces the end of an upload: readers finish ('complete') or abort (any other phase). */
  finish(key: MediaKey, phase: Exclude<LivePhase, 'open'>, writtenOffset?: number): void {
    const upload = this.uploads.get(keyOf(key));
    // The first end wins: a write that finishes after a termination must not revive the upload.
    if (!upload || upload.status.phase !== 'open') return;
    upload.status = {
      writtenOffset: writtenOffset ?? upload.status.writtenOffset,
      declaredLength:
        phase === 'complete' ? (writtenOffset ?? upload.status.writtenOffset) : upload.status.declaredLength,
      phase,
    };
    this.notify(upload);
    this.forgetIfIdle(key, upload);
  }

  /**
   * Wakes the waiters once per turn of the event loop, however many writes completed in it: a reader
   * woken reads everything stored by then, so one wake-up per batch of bytes is enough. Nothing is
   * scheduled when nobody waits (readers busy sending, or none at all), so an upload nobody follows
   * pays nothing per write.
   */
  private notify(upload: LiveUpload): void {
    if (upload.waiters.size === 0 || upload.notificationScheduled) return;
    upload.notificationScheduled = true;
    setImmediate(() => {
      upload.notificationScheduled = false;
      const waiters = [...upload.waiters];
      upload.waiters.clear();
      for (const wake of waiters) wake();
    });
  }

  /**
   * Waits until `ready` holds, the upload ends, the timeout passes or the signal aborts, and returns the
   * status at that moment (the caller decides what a timeout means).
   */
  async waitFor(
    record: MediaRecord,
    ready: (status: LiveUploadStatus) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<LiveUploadStatus> {
    const current = this.status(record);
    if (ready(current) || current.phase !== 'open' || timeoutMs <= 0 || signal?.aborted) return current;
    const upload = this.track(record);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        upload.waiters.delete(check);
        signal?.removeEventListener('abort', done);
        this.forgetIfIdle(record, upload);
        resolve(upload.status);
      };
      const check = (): void => {
        if (ready(upload.status) || upload.status.phase !== 'open') done();
        else upload.waiters.add(check);
      };
      const timer = setTimeout(done, timeoutMs);
      upload.waiters.add(check);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Entries exist only while someone writes or waits; the store holds everything else. */
  private forgetIfIdle(key: MediaKey, upload: LiveUpload): void {
    if (!upload.writerActive && upload.readers === 0 && upload.waiters.size === 0) this.uploads.delete(keyOf(key));
  }

  /** Number of uploads currently followed or written (for tests and metrics). */
  get size(): number {
    return this.uploads.size;
  }
}
