import { resolve } from 'node:path';
import {
  parseReceivableFile,
  type FileMessageContent,
  fileMessageContent,
} from '../../../shared/matrix/file-message.js';
import type { EncryptedFile } from '../../../shared/msc4016/encrypted-file.js';
import { isFinalStatus, type TransferStatus, type TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import { type FrameCipher, inlineFrameCipher } from '../codec/frame-cipher.js';
import type { SecretStore } from '../state/secret-store.js';
import type { EngineContext, TransferReporter } from './engine-context.js';
import { discardPartial, prepareReceive, RECEIVE_START, type ReceiveOptions, runReceive } from './incoming-transfer.js';
import { MediaRepositoryClient } from './media-repository-client.js';
import { fileBlockOf, prepareSend, runSend, type SendOptions, terminateUpload } from './outgoing-transfer.js';
import { ProgressMeter } from './progress-meter.js';
import { UpdateThrottle } from './update-throttle.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { failureOf, TransferError } from './transfer-error.js';
import type { ReceiveRecord, SendRecord, TransferRecord } from './transfer-record.js';
import { TransferStore } from './transfer-store.js';

/**
 * Bytes per tus PATCH: no limit, so an attempt is one PATCH from the server's offset to the end (as
 * tus-js-client does by default). Each PATCH ends with the server syncing what it got and answering
 * before the next starts, a gap in which neither the link nor the receivers following the upload move:
 * in `npm run bench:e2e` (1 GiB, alternated single rounds) one PATCH took 1.65 / 1.57 / 1.57 × the
 * baseline's time against 1.65 / 1.71 / 2.35 with 128 MiB PATCHes; earlier, on a rate-limited link,
 * 16 MiB PATCHes uploaded at 80–105 MB/s, 64 MiB at 104–141, 256 MiB at 152–155. A PATCH costs no
 * memory whatever its size (its body is encrypted as it is sent), and a server that keeps the received
 * part of an interrupted PATCH (ours acknowledges it; tus recommends it) makes a resume re-send only
 * what was in flight. A limit is for servers behind a proxy that caps request bodies.
 */
export const DEFAULT_TUS_CHUNK_SIZE = Number.POSITIVE_INFINITY;

export interface MediaAccess {
  readonly homeserverUrl: string;
  readonly accessToken: string;
}

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

/** What a receive is asked to fetch: an event's content or a bare `file` block, as parseReceivableFile reads. */
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
  private readonly accessTokens = new Map<string, string>();
  private readonly clients = new Map<string, { accessToken: string; client: MediaRepositoryClient }>();
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
    this.context = {
      store: this.store,
      secrets: options.secretStore,
      cipher: options.cipher ?? inlineFrameCipher,
      retry: options.retry ?? defaultRetryPolicy,
      tusChunkSize: options.tusChunkSize ?? DEFAULT_TUS_CHUNK_SIZE,
      downloadTimeoutMs: options.downloadTimeoutMs ?? 20_000,
      now: this.now,
      clientFor: async (homeserverUrl) => {
        const key = normalise(homeserverUrl);
        const accessToken = this.accessTokens.get(key);
        if (accessToken === undefined) {
          throw new TransferError('STATE_UNREADABLE', `no access token for ${homeserverUrl}: sign in to resume`);
        }
        // One client per homeserver and token, so what it learned (its capabilities) is shared.
        const cached = this.clients.get(key);
        if (cached?.accessToken === accessToken) return cached.client;
        const client = new MediaRepositoryClient({
          homeserverUrl,
          accessToken,
          ...(options.fetch && { fetch: options.fetch }),
        });
        this.clients.set(key, { accessToken, client });
        return client;
      },
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
    const key = normalise(homeserverUrl);
    this.accessTokens.delete(key);
    this.clients.delete(key);
  }

  /** The access token for a homeserver, used by every transfer there from now on (kept in memory only). */
  authorise(access: MediaAccess): void {
    this.accessTokens.set(normalise(access.homeserverUrl), access.accessToken);
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
    const receivable = parseReceivableFile(request.event);
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
    return fileMessageContent(record.fileName, await this.fileBlock(id), this.infoOf(record));
  }

  /** The complete `file` block (key included) of any transfer, for the media handler. */
  fileBlock(id: string): Promise<EncryptedFile> {
    return fileBlockOf(this.context, this.recordOf(id));
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
    const live = this.live.get(id);
    const record = this.recordOf(id);
    if (record.status === 'completed') return record.size;
    if (live) return live.bytesDone;
    if (record.direction === 'receive') return record.checkpoint.plaintextOffset;
    // A send not running shows how far it got, not zero, until it runs again and the server is asked.
    const acknowledged =
      record.ciphertextSize === 0 ? 0 : Math.floor((record.size * record.acknowledged) / record.ciphertextSize);
    return Math.max(acknowledged, record.sentWhenStopped ?? 0);
  }

  /**
   * The unfinished send of the file at `path` to this homeserver, if any. Resuming it checks that the
   * file is unchanged (same size, timestamps, inode) and fails it with SOURCE_CHANGED otherwise, so
   * a changed file is never sent under the key and IV of its earlier content.
   */
  findResumableSend(path: string, homeserverUrl: string): SendRecord | undefined {
    const absolute = resolve(path);
    return [...this.records.values()].find(
      (record): record is SendRecord =>
        record.direction === 'send' &&
        !isFinalStatus(record.status) &&
        record.homeserverUrl === normalise(homeserverUrl) &&
        record.source.path === absolute,
    );
  }

  /** An unfinished receive of this media into this folder. */
  findResumableReceive(contentUri: string, destinationDir: string): ReceiveRecord | undefined {
    return [...this.records.values()].find(
      (record): record is ReceiveRecord =>
        record.direction === 'receive' &&
        !isFinalStatus(record.status) &&
        record.contentUri === contentUri &&
        record.destinationDir === destinationDir,
    );
  }

  list(): TransferUpdate[] {
    return [...this.records.keys()].map((id) => this.snapshot(id));
  }

  snapshot(id: string): TransferUpdate {
    const record = this.recordOf(id);
    const live = this.live.get(id);
    const meter = this.meters.get(id);
    const bytesDone = this.bytesDone(id);
    const active = record.status === 'uploading' || record.status === 'downloading';
    const eta = active ? meter?.etaSeconds(bytesDone, record.size) : undefined;
    return {
      id,
      direction: record.direction,
      status: record.status,
      createdAt: record.createdAt,
      fileName: record.fileName,
      mimetype: record.mimetype,
      bytesDone,
      bytesTotal: record.size,
      rate: active ? (meter?.rate ?? 0) : 0,
      ...(eta !== undefined && { etaSeconds: eta }),
      ...(record.contentUri !== undefined && { contentUri: record.contentUri }),
      ...(record.direction === 'receive' && record.savedPath !== undefined && { savedPath: record.savedPath }),
      ...(active && live?.retry && { retry: live.retry }),
      ...(record.failure && { failure: record.failure }),
      ...(record.roomId !== undefined && { roomId: record.roomId }),
      ...(record.eventId !== undefined && { eventId: record.eventId }),
    };
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
    for (const id of ids) this.enqueue(id);
    return ids;
  }

  /** Queues a paused or interrupted transfer again. */
  resume(id: string): void {
    this.assertOpen();
    const record = this.recordOf(id);
    if (isFinalStatus(record.status)) {
      throw new TransferError('WRONG_STATE', `"${record.fileName}" is ${record.status} and cannot be resumed`);
    }
    this.enqueue(id);
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
    if (record.status !== 'failed') {
      throw new TransferError(
        'WRONG_STATE',
        `"${record.fileName}" has not failed (it is ${record.status}), so there is nothing to retry`,
      );
    }
    const code = record.failure?.code;
    if (record.direction === 'send' && (code === 'SOURCE_CHANGED' || code === 'MEDIA_UNAVAILABLE')) {
      throw new TransferError(
        'WRONG_STATE',
        code === 'SOURCE_CHANGED'
          ? `"${record.fileName}" changed after it was first sent, so it cannot be sent again under the same key; send it as a new file`
          : `the server no longer has the upload of "${record.fileName}"; send it as a new file`,
      );
    }
    // The run that failed may still be finishing (saving its final state): it ends before the next starts.
    await this.running.get(id)?.done;
    // Two Retry clicks at once: the first one queued it.
    if (this.isScheduled(id)) return;
    if (record.direction === 'receive') {
      // Persisted with the queued status that enqueue sets, in the same turn: a second Retry meanwhile
      // finds the transfer scheduled, never failed.
      this.records.set(id, { ...record, checkpoint: RECEIVE_START, updatedAt: this.now() });
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
    this.updates.forget(id);
    await this.store.remove(id);
  }

  /** Pauses every transfer `which` picks that is queued or running (a sign-out); returns their IDs. */
  async pauseWhere(which: (record: TransferRecord) => boolean): Promise<string[]> {
    const ids = [...this.records.values()]
      .filter((record) => !isFinalStatus(record.status) && record.status !== 'paused' && which(record))
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
    if (isFinalStatus(this.recordOf(id).status)) return;
    await this.stop(id, 'pause');
    // It may have finished (or failed) while it was being stopped: that outcome stands.
    if (isFinalStatus(this.recordOf(id).status)) return;
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
        const merged = { ...updated, status: current.status, updatedAt: this.now() } as TransferRecord;
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
        this.records.set(id, { ...final, status: this.recordOf(id).status });
        this.live.set(id, { bytesDone: final.size });
        await this.setStatus(id, 'completed');
      } catch (error) {
        if (controller.signal.aborted) return; // pause, cancel or close: the caller sets the status.
        const current = this.recordOf(id);
        await this.cleanUp(current, error).catch((cleanupError: unknown) =>
          this.options.log?.(`cleaning up transfer ${id} failed: ${(cleanupError as Error).message}`),
        );
        await this.setStatus(id, 'failed', failureOf(error));
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

/** A homeserver's URL as the engine keys it: no trailing slash. */
export function normalise(homeserverUrl: string): string {
  return homeserverUrl.replace(/\/+$/, '');
}
