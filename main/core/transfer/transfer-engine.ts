import { resolve } from 'node:path';
import { type FileMessageContent, fileMessageContent, parseReceivable } from '../../../shared/matrix/file-message.js';
import type { TransferOutcome } from '../../../shared/matrix/transfer-outcome.js';
import type { EncryptedFile } from '../../../shared/msc4016/encrypted-file.js';
import { isFinalStatus, type TransferStatus, type TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import { type FrameCipher, inlineFrameCipher } from '../codec/frame-cipher.js';
import type { SecretStore } from '../state/secret-store.js';
import type { EngineContext, TransferReporter } from './engine-context.js';
import { discardPartial } from './destination.js';
import { prepareReceive, RECEIVE_START, type ReceiveOptions, runReceive } from './incoming-transfer.js';
import { type MediaAccess, MediaClients, normalise } from './media-clients.js';
import type { MediaRepositoryClient } from './media-repository-client.js';
import { fileBlockOf, prepareSend, runSend, type SendOptions, terminateUpload } from './outgoing-transfer.js';
import { OneAtATime } from './one-at-a-time.js';
import { ProgressMeter } from './progress-meter.js';
import { assertSettleable, concludeReceive, hasEveryByte, leftByCancel, withOutcome } from './receive-outcome.js';
import { withSendEvents } from './send-events.js';
import { UpdateThrottle } from './update-throttle.js';
import { DEFAULT_TUS_CHUNK_SIZE } from './upload-methods.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { assertRetryable, failureOf, TransferError } from './transfer-error.js';
import {
  type ReceiveRecord,
  type SendRecord,
  type TransferRecord,
  unfinishedReceiveOf,
  unfinishedSendOf,
  withAnnotationsOf,
} from './transfer-record.js';
import { recordedBytesDone, snapshotOf } from './transfer-snapshot.js';
import { TransferStore } from './transfer-store.js';

export { DEFAULT_TUS_CHUNK_SIZE } from './upload-methods.js';
export { type MediaAccess, normalise } from './media-clients.js';

export interface TransferEngineOptions {
  /** Where transfer records live (`<dataDir>/transfers`). */
  readonly dataDir: string;
  readonly secretStore: SecretStore;
  /** Transfers running at once; more wait as `queued`. */
  readonly maxConcurrent?: number;
  /** Where blocks are sealed and opened; the caller owns it (a worker pool, say). Inline by default. */
  readonly cipher?: FrameCipher;
  readonly retry?: RetryPolicy;
  readonly tusChunkSize?: number;
  readonly downloadTimeoutMs?: number;
  /** Shortest interval between two progress updates of one transfer; status changes are sent at once. */
  readonly updateIntervalMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Damaged records and similar notices. */
  readonly log?: (line: string) => void;
}

interface Running {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/** What a receive is asked to fetch: an event's content (encrypted or plain) or a bare `file` block, as parseReceivable reads. */
export interface ReceiveRequest extends ReceiveOptions {
  readonly event: unknown;
  /**
   * False registers the receive paused: nothing is saved until it is resumed, but the media handler
   * can already stream any part of it from the server (watching without keeping a copy).
   */
  readonly start?: boolean;
}

/** A send ready to announce: post `content` as the room event now; the upload goes on behind it. */
export interface OutgoingFile {
  readonly transferId: string;
  readonly content: FileMessageContent;
}

type StopReason = 'pause' | 'cancel' | 'close';

/**
 * The transfer engine of the main process (plain Node): sends and receives files through a Matrix
 * media repository, several at once, persisting each so it resumes after a crash or a restart, and
 * reporting every change as a TransferUpdate. Tokens are supplied per homeserver and never stored.
 */
export class TransferEngine {
  private readonly store: TransferStore;
  private readonly context: EngineContext;
  private readonly records = new Map<string, TransferRecord>();
  private readonly running = new Map<string, Running>();
  private readonly queue: string[] = [];
  private readonly meters = new Map<string, ProgressMeter>();
  private readonly live = new Map<string, Pick<TransferUpdate, 'bytesDone' | 'retry'>>();
  private readonly updates: UpdateThrottle;
  private readonly listeners = new Set<(update: TransferUpdate) => void>();
  private readonly settledWaiters = new Map<string, ((update: TransferUpdate) => void)[]>();
  /** Receives being saved or failed once every byte is in (`conclude`), one at a time per transfer. */
  private readonly concluding = new OneAtATime();
  private readonly mediaClients: MediaClients;
  private maxConcurrent: number;
  private readonly now: () => number;
  private closed = false;

  private constructor(private readonly options: TransferEngineOptions) {
    this.store = new TransferStore(options.dataDir);
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 3);
    this.updates = new UpdateThrottle(options.updateIntervalMs ?? 250, (id) => {
      const snapshot = this.snapshot(id);
      for (const listener of this.listeners) listener(snapshot);
    });
    this.now = options.now ?? Date.now;
    const mediaClients = new MediaClients(options.fetch);
    this.mediaClients = mediaClients;
    this.context = {
      store: this.store,
      secrets: options.secretStore,
      cipher: options.cipher ?? inlineFrameCipher,
      retry: options.retry ?? defaultRetryPolicy,
      tusChunkSize: options.tusChunkSize ?? DEFAULT_TUS_CHUNK_SIZE,
      downloadTimeoutMs: options.downloadTimeoutMs ?? 20_000,
      sendDigests: new Map(),
      receiveMarks: new Map(),
      now: this.now,
      clientFor: (homeserverUrl) => mediaClients.clientFor(homeserverUrl),
    };
  }

  /** Opens the engine over its data directory, loading every persisted transfer (none is started). */
  static async open(options: TransferEngineOptions): Promise<TransferEngine> {
    const engine = new TransferEngine(options);
    for (const record of await engine.store.list((file, error) =>
      options.log?.(`ignoring the damaged transfer record ${file}: ${(error as Error).message}`),
    )) {
      engine.records.set(record.id, record);
    }
    return engine;
  }

  /** Forgets a homeserver's token (signed out): its transfers cannot run until one is given again. */
  revoke(homeserverUrl: string): void {
    this.mediaClients.revoke(homeserverUrl);
  }

  /** The access token for a homeserver, used by every transfer there from now on (kept in memory only). */
  authorise(access: MediaAccess): void {
    this.mediaClients.authorise(access);
  }

  /**
   * Starts sending a file. Resolves as soon as the media ID exists and the `file` block is known —
   * before any byte is uploaded — with the event content to post; the upload runs on. Against a
   * server without MSC2246 the media URI exists only after a one-shot upload, so then it resolves
   * when the upload is done.
   */
  async send(path: string, options: SendOptions & { accessToken?: string }): Promise<OutgoingFile> {
    this.assertOpen();
    if (options.accessToken) this.authorise({ homeserverUrl: options.homeserverUrl, accessToken: options.accessToken });
    const { record, file } = await prepareSend(this.context, path, options);
    this.records.set(record.id, record);
    this.enqueue(record.id);
    if (record.contentUri === undefined) {
      const final = await this.settled(record.id);
      if (final.status !== 'completed') {
        throw new TransferError('NETWORK', final.failure?.message ?? `the upload was ${final.status}`);
      }
      return { transferId: record.id, content: await this.contentOf(record.id) };
    }
    return { transferId: record.id, content: fileMessageContent(record.fileName, file, this.infoOf(record)) };
  }

  /** Starts receiving a file from an event; resolves with the transfer's id once it is queued. */
  async receive(request: ReceiveRequest & { accessToken?: string }): Promise<string> {
    this.assertOpen();
    if (request.accessToken) this.authorise({ homeserverUrl: request.homeserverUrl, accessToken: request.accessToken });
    const receivable = parseReceivable(request.event);
    const record = await prepareReceive(this.context, receivable, request);
    this.records.set(record.id, record);
    if (request.start === false) await this.setStatus(record.id, 'paused');
    else this.enqueue(record.id);
    return record.id;
  }

  /** The event content of a send (with its `url`), for announcing it again. */
  async contentOf(id: string): Promise<FileMessageContent> {
    const record = this.recordOf(id);
    if (record.direction !== 'send') {
      throw new TransferError(
        'WRONG_STATE',
        `"${record.fileName}" is a received file: only a send has event content to post`,
      );
    }
    return fileMessageContent(record.fileName, await fileBlockOf(this.context, record), this.infoOf(record));
  }

  /** The complete `file` block (key included) of any transfer, for the media handler; none for a plain file. */
  async fileBlock(id: string): Promise<EncryptedFile | undefined> {
    const { sealedFile } = this.recordOf(id);
    return sealedFile === undefined ? undefined : fileBlockOf(this.context, { sealedFile });
  }

  record(id: string): TransferRecord | undefined {
    return this.records.get(id);
  }

  /** A media client for the homeserver of a transfer, with the token the front end authorised. */
  mediaClient(id: string): Promise<MediaRepositoryClient> {
    return this.context.clientFor(this.recordOf(id).homeserverUrl);
  }

  /** Plaintext bytes of a receive that are authenticated and written to its partial (or final) file. */
  bytesDone(id: string): number {
    const record = this.recordOf(id);
    const live = this.live.get(id);
    return live && record.status !== 'completed' ? live.bytesDone : recordedBytesDone(record);
  }

  /**
   * The unfinished send of the file at `path` to this homeserver, if any. Resuming it checks that the
   * file is unchanged (same size, timestamps, inode) and fails it with SOURCE_CHANGED otherwise, so
   * a changed file is never sent under the key and IV of its earlier content.
   */
  findResumableSend(path: string, homeserverUrl: string): SendRecord | undefined {
    return this.allRecords().find(unfinishedSendOf(resolve(path), normalise(homeserverUrl)));
  }

  /** An unfinished receive of this media into this folder. */
  findResumableReceive(contentUri: string, destinationDir: string): ReceiveRecord | undefined {
    return this.allRecords().find(unfinishedReceiveOf(contentUri, destinationDir));
  }

  list(): TransferUpdate[] {
    return [...this.records.keys()].map((id) => this.snapshot(id));
  }

  snapshot(id: string): TransferUpdate {
    const live = { bytesDone: this.bytesDone(id), retry: this.live.get(id)?.retry, meter: this.meters.get(id) };
    return snapshotOf(this.recordOf(id), live);
  }

  /** Every update of every transfer; returns the function that unsubscribes. */
  subscribe(listener: (update: TransferUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the transfer is completed, failed or cancelled (not when merely paused). */
  settled(id: string): Promise<TransferUpdate> {
    const snapshot = this.snapshot(id);
    if (isFinalStatus(snapshot.status)) return Promise.resolve(snapshot);
    return new Promise((resolve) => {
      const waiters = this.settledWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.settledWaiters.set(id, waiters);
    });
  }

  /**
   * Restarts every transfer that was running or queued when the engine last stopped (a crash, a
   * quit), or those of them `which` picks. Paused ones stay paused.
   */
  resumeInterrupted(which: (record: TransferRecord) => boolean = () => true): string[] {
    const ids = [...this.records.values()]
      .filter((record) => ['queued', 'uploading', 'downloading'].includes(record.status) && which(record))
      .map((record) => record.id);
    for (const id of ids) this.schedule(id);
    return ids;
  }

  /** Queues a paused or interrupted transfer again. */
  resume(id: string): void {
    this.assertOpen();
    const record = this.recordOf(id);
    if (isFinalStatus(record.status)) {
      throw new TransferError('WRONG_STATE', `"${record.fileName}" is ${record.status} and cannot be resumed`);
    }
    this.schedule(id);
  }

  /**
   * The sender's outcome for a receive (docs/PROTOCOL.md §7). Completed: remembered, and once every
   * byte is in, the file is saved if it matches, else deleted (HASH_MISMATCH). Cancelled: the download
   * stops and what arrived is deleted, or kept under a name marked incomplete (`keepPartial`).
   */
  async settleReceive(id: string, outcome: TransferOutcome, options: { keepPartial?: boolean } = {}): Promise<void> {
    this.assertOpen();
    const record = this.recordOf(id);
    assertSettleable(record, outcome);
    if (outcome.kind === 'cancelled') return this.cancelBySender(id, options.keepPartial === true);
    await this.put(withOutcome(record, outcome));
    // Still downloading: the run applies it once every byte is in.
    if (hasEveryByte(this.recordOf(id))) await this.conclude(id);
  }

  /** Records what the app posted for a send: its file event, then (once it ended) its outcome event. */
  async noteSendEvents(id: string, events: { eventId?: string; outcomeAnnounced?: true }): Promise<void> {
    this.assertOpen();
    await this.put(withSendEvents(this.recordOf(id), events));
  }

  /**
   * Starts a failed transfer again. A send resumes from the offset the server holds (tus asks it); a
   * receive starts over, since its unauthenticated partial file was discarded when it failed. A send
   * whose source changed cannot be retried under the same key and IV, nor one the server dropped:
   * those need a new send.
   */
  async retry(id: string): Promise<void> {
    this.assertOpen();
    const record = this.recordOf(id);
    assertRetryable(record);
    // The run that failed may still be finishing (saving its final state): it ends before the next starts.
    await this.running.get(id)?.done;
    // Two Retry clicks at once: the first one queued it.
    if (this.isScheduled(id)) return;
    if (record.direction === 'receive') {
      // Persisted with the queued status that enqueue sets, in the same turn: a second Retry meanwhile
      // finds the transfer scheduled, never failed.
      const { ciphertextSha256: _hashed, ...rest } = record;
      this.records.set(id, { ...rest, checkpoint: RECEIVE_START, updatedAt: this.now() });
      this.live.delete(id);
    }
    this.enqueue(id);
  }

  /**
   * Removes a finished transfer (completed, failed or cancelled) and its state; a received file stays
   * where it was saved. A transfer still running must be cancelled first.
   */
  async forget(id: string): Promise<void> {
    this.assertOpen();
    const record = this.recordOf(id);
    if (!isFinalStatus(record.status)) {
      throw new TransferError(
        'WRONG_STATE',
        `"${record.fileName}" is ${record.status}: cancel it before removing it from the list`,
      );
    }
    this.records.delete(id);
    this.live.delete(id);
    this.meters.delete(id);
    this.context.sendDigests.delete(id);
    this.context.receiveMarks.delete(id);
    this.updates.forget(id);
    await this.store.remove(id);
  }

  /** Pauses every transfer `which` picks that is queued or running (a sign-out); returns their IDs. */
  async pauseWhere(which: (record: TransferRecord) => boolean): Promise<string[]> {
    const ids = [...this.records.values()]
      .filter(
        (record) =>
          !isFinalStatus(record.status) && record.status !== 'paused' && !hasEveryByte(record) && which(record),
      )
      .map((record) => record.id);
    for (const id of ids) await this.pause(id);
    return ids;
  }

  /** Every record, for front ends that choose among them (by account, by room). */
  allRecords(): TransferRecord[] {
    return [...this.records.values()];
  }

  /** Changes how many transfers run at once; more start at once if the limit rose. */
  setMaxConcurrent(limit: number): void {
    this.maxConcurrent = Math.max(1, Math.floor(limit));
    this.pump();
  }

  async pause(id: string): Promise<void> {
    const record = this.recordOf(id);
    // A receive with every byte in has nothing left to pause: it waits for its sender, or is being saved.
    if (isFinalStatus(record.status) || hasEveryByte(record)) return;
    await this.stop(id, 'pause');
    // It may have finished (or failed, or got every byte) while it was being stopped: that stands.
    if (isFinalStatus(this.recordOf(id).status) || hasEveryByte(this.recordOf(id))) return;
    await this.setStatus(id, 'paused');
  }

  /** Cancels for good: a send's upload is terminated on the server (readers are told), a receive's partial file removed. */
  async cancel(id: string): Promise<void> {
    const record = this.recordOf(id);
    if (isFinalStatus(record.status)) return;
    await this.stop(id, 'cancel');
    if (isFinalStatus(this.recordOf(id).status)) return;
    await this.cleanUp(this.recordOf(id));
    await this.setStatus(id, 'cancelled');
  }

  /** Stops every transfer where it is (they resume with resumeInterrupted next time) and flushes state. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, 'close')));
    this.updates.clear();
  }

  /** Running, or waiting in the queue: starting it again would run one transfer twice over one file. */
  private isScheduled(id: string): boolean {
    return this.running.has(id) || this.queue.includes(id);
  }

  /** Runs a transfer again; a receive with every byte in needs no run, only its conclusion. */
  private schedule(id: string): void {
    if (hasEveryByte(this.recordOf(id))) void this.conclude(id);
    else this.enqueue(id);
  }

  private enqueue(id: string): void {
    if (this.isScheduled(id)) return;
    void this.setStatus(id, 'queued');
    this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.maxConcurrent && this.queue.length > 0) {
      this.start(this.queue.shift()!);
    }
  }

  private start(id: string): void {
    const controller = new AbortController();
    const record = this.recordOf(id);
    const meter = new ProgressMeter(() => performance.now());
    this.meters.set(id, meter);
    this.live.set(id, { bytesDone: this.bytesDone(id) });
    const reporter: TransferReporter = {
      progress: (bytesDone) => {
        meter.sample(bytesDone);
        const before = this.live.get(id)?.bytesDone ?? 0;
        this.live.set(id, { bytesDone });
        // The first bytes are news (a player can start), not just progress: they are never held back.
        this.emit(id, before === 0 && bytesDone > 0);
      },
      retrying: (attempt, inMs) => {
        meter.reset();
        this.live.set(id, { bytesDone: this.bytesDone(id), retry: { attempt, inMs } });
        this.emit(id, true);
      },
      save: async (updated) => {
        const current = this.recordOf(id);
        const merged = { ...withAnnotationsOf(updated, current), status: current.status, updatedAt: this.now() };
        this.records.set(id, merged);
        await this.store.save(merged);
      },
    };
    const run = async (): Promise<void> => {
      await this.setStatus(id, record.direction === 'send' ? 'uploading' : 'downloading');
      try {
        const current = this.recordOf(id);
        const final =
          current.direction === 'send'
            ? await runSend(this.context, current, controller.signal, reporter)
            : await runReceive(this.context, current, controller.signal, reporter);
        const latest = this.recordOf(id);
        this.records.set(id, { ...withAnnotationsOf(final, latest), status: latest.status });
        this.live.set(id, { bytesDone: final.size });
        if (final.direction === 'receive') await this.conclude(id);
        else await this.setStatus(id, 'completed');
      } catch (error) {
        if (controller.signal.aborted) return; // pause, cancel or close: the caller sets the status.
        await this.fail(id, error);
      }
    };
    const done = run()
      .catch((error: unknown) => this.options.log?.(`transfer ${id}: ${(error as Error).message}`))
      .finally(() => {
        // A retry may already have started this transfer again from its final status: that run stays.
        if (this.running.get(id)?.done === done) this.running.delete(id);
        this.pump();
      });
    this.running.set(id, { controller, done });
  }

  private async stop(id: string, reason: StopReason): Promise<void> {
    const index = this.queue.indexOf(id);
    if (index >= 0) this.queue.splice(index, 1);
    // A receive being saved is let finish: that outcome stands.
    await this.concluding.idle(id);
    const running = this.running.get(id);
    if (!running) return;
    running.controller.abort(new TransferError('NETWORK', `the transfer was stopped (${reason})`));
    await running.done;
    const record = this.recordOf(id);
    const sent = this.live.get(id)?.bytesDone;
    if (record.direction === 'send' && reason !== 'cancel' && sent !== undefined && !isFinalStatus(record.status)) {
      const stopped: SendRecord = { ...record, sentWhenStopped: sent, updatedAt: this.now() };
      this.records.set(id, stopped);
      // A pause saves it with its new status; a close saves it here, as the app quits.
      if (reason === 'close') await this.store.save(stopped).catch(() => undefined);
    }
  }

  /**
   * Saves, or keeps waiting, or fails a receive whose every byte is in (receive-outcome.ts): from the
   * run that got the last byte, the sender's outcome arriving, or a start. One at a time per transfer,
   * each reading the record as it is then, so an outcome that comes while the run ends is not lost.
   */
  private conclude(id: string): Promise<void> {
    return this.concluding.run(id, async () => {
      const record = this.records.get(id);
      if (!hasEveryByte(record) || isFinalStatus(record.status)) return;
      try {
        const saved = await concludeReceive(record);
        if (saved !== undefined) {
          this.records.set(id, withAnnotationsOf(saved, this.recordOf(id)));
          await this.setStatus(id, 'completed');
        } else if (record.status !== 'downloading') {
          // Waiting for the sender: shown as a download with every byte (transfer-snapshot.ts).
          await this.setStatus(id, 'downloading');
        } else {
          this.emit(id, true);
        }
      } catch (error) {
        await this.fail(id, error);
      }
    });
  }

  /** The sender cancelled: the download stops, and what arrived goes, or stays marked incomplete. */
  private async cancelBySender(id: string, keepPartial: boolean): Promise<void> {
    await this.stop(id, 'cancel');
    const record = this.recordOf(id);
    if (record.direction !== 'receive') return;
    if (record.status === 'failed') {
      // Its partial file went with the failure: there is nothing left to keep.
      this.records.set(id, { ...record, cancelledBySender: true });
      return this.setStatus(id, 'cancelled');
    }
    if (isFinalStatus(record.status)) return;
    this.records.set(id, await leftByCancel(record, keepPartial, this.options.log));
    await this.setStatus(id, 'cancelled');
  }

  private async fail(id: string, error: unknown): Promise<void> {
    await this.cleanUp(this.recordOf(id), error).catch((cleanupError: unknown) =>
      this.options.log?.(`cleaning up transfer ${id} failed: ${(cleanupError as Error).message}`),
    );
    await this.setStatus(id, 'failed', failureOf(error));
  }

  /** Keeps and announces a changed record (no status change); a record that cannot be saved is an error. */
  private async put(record: TransferRecord): Promise<void> {
    const updated = { ...record, updatedAt: this.now() };
    this.records.set(record.id, updated);
    this.emit(record.id, true);
    await this.store.save(updated);
  }

  /**
   * After a failure or a cancel: a send whose source changed, or that is cancelled, is terminated on
   * the server so its readers stop at once; a receive's partial file is deleted (it is unauthenticated
   * or incomplete and must never be mistaken for the file).
   */
  private async cleanUp(record: TransferRecord, error?: unknown): Promise<void> {
    if (record.direction === 'receive') {
      await discardPartial(record);
      return;
    }
    const terminate = error === undefined || (error instanceof TransferError && error.code === 'SOURCE_CHANGED');
    if (terminate) await terminateUpload(this.context, record).catch(() => undefined);
  }

  private async setStatus(id: string, status: TransferStatus, failure?: TransferUpdate['failure']): Promise<void> {
    const record = this.recordOf(id);
    const { failure: _previous, ...rest } = record;
    const updated = { ...rest, status, updatedAt: this.now(), ...(failure && { failure }) } as TransferRecord;
    this.records.set(id, updated);
    if (status !== 'uploading' && status !== 'downloading') this.meters.get(id)?.reset();
    this.emit(id, true);
    try {
      await this.store.save(updated);
    } catch (error) {
      this.options.log?.(`saving transfer ${id} failed: ${(error as Error).message}`);
    }
    // Forgotten while its final state was being saved: nobody is left to tell.
    if (isFinalStatus(status) && this.records.has(id)) {
      const snapshot = this.snapshot(id);
      for (const resolve of this.settledWaiters.get(id) ?? []) resolve(snapshot);
      this.settledWaiters.delete(id);
    }
  }

  /** Tells the listeners of a change: at once (`force`) or throttled (update-throttle.ts). */
  private emit(id: string, force: boolean): void {
    this.updates.request(id, force);
  }

  private infoOf(record: TransferRecord): { size: number; mimetype: string } {
    return { size: record.size, mimetype: record.mimetype };
  }

  private recordOf(id: string): TransferRecord {
    const record = this.records.get(id);
    if (!record)
      throw new TransferError(
        'NO_SUCH_TRANSFER',
        `there is no transfer ${id} (it may have been removed from the list)`,
      );
    return record;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the transfer engine is closed');
  }
}
