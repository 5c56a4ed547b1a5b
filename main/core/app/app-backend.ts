import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatFor } from '../../../shared/app/settings.js';
import type { EventName, PayloadOf } from '../../../shared/ipc/contract-kit.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import type { AppContract, AppInfo, SlipstreamHandlers, StoredSession } from '../../../shared/ipc-contract.js';
import { parseReceivable } from '../../../shared/matrix/file-message.js';
import { OUTCOME_FOLLOWS_KEY, type TransferOutcome } from '../../../shared/matrix/transfer-outcome.js';
import { isFinalStatus, type TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import type { FrameCipher } from '../codec/frame-cipher.js';
import type { ForwardedChannel } from '../engine-host/engine-host-contract.js';
import type { SecretStore } from '../state/secret-store.js';
import { normalise, TransferEngine, type TransferEngineOptions } from '../transfer/transfer-engine.js';
import type { TransferRecord } from '../transfer/transfer-record.js';
import { asIpcError } from './backend-errors.js';
import type { FolderAccess } from './folder-access.js';
import type { PathPolicy } from './path-policy.js';
import { SessionVault } from './session-vault.js';
import { SettingsStore } from './settings-store.js';
import type { Spool } from './spool.js';
import { assertSafeToOpen } from './unsafe-to-open.js';

/** What only the front end's own process can do for the backend: Electron's shell, or the host's opener. */
export interface HostPlatform {
  showItemInFolder(path: string): Promise<void>;
  openPath(path: string): Promise<void>;
}

/** Every app channel but those only the front end's own process answers (the system's dialogs, say). */
export type BackendHandlers = Pick<SlipstreamHandlers, ForwardedChannel>;

/** Receives the pushed events, to send them on to the renderer(s). */
export type EventSink = <E extends EventName<AppContract>>(event: E, payload: PayloadOf<AppContract, E>) => void;

export interface AppBackendOptions {
  readonly dataDir: string;
  readonly secretStore: SecretStore;
  readonly platform: HostPlatform;
  readonly info: AppInfo;
  readonly defaultDownloadFolder: string;
  /** What the app's own chooser lists. */
  readonly folders: FolderAccess;
  /** What may be sent and saved into (path-policy.ts). */
  readonly paths: PathPolicy;
  /** Dropped files copied in by the browser host. */
  readonly spool?: Spool;
  readonly cipher?: FrameCipher;
  /** Hears every event from the start, the transfers resumed at opening included. */
  readonly sink?: EventSink;
  /** For tests: a quicker retry policy, say. */
  readonly engine?: Partial<Pick<TransferEngineOptions, 'retry' | 'updateIntervalMs' | 'downloadTimeoutMs'>>;
  readonly log: (line: string) => void;
}

/**
 * The main side of the app, without Electron: the transfer engine, the signed-in session, settings,
 * and the app's own file chooser, answering the app contract. It runs in Electron's utility process
 * (engine-host.ts) and in the browser host's process alike. Transfers belong to the account that made
 * them: another account signed in on the same machine neither sees nor resumes them.
 */
export class AppBackend {
  readonly handlers: BackendHandlers;
  private readonly sinks = new Set<EventSink>();
  private session: StoredSession | null = null;
  /** Receives being set up, by event: a second ask for the same event waits for the first. */
  private readonly receiving = new Map<string, Promise<string>>();
  private unsubscribeEngine: () => void = () => undefined;

  private constructor(
    private readonly options: AppBackendOptions,
    readonly engine: TransferEngine,
    private readonly vault: SessionVault,
    private readonly settings: SettingsStore,
  ) {
    if (options.sink) this.sinks.add(options.sink);
    this.handlers = this.makeHandlers();
  }

  /**
   * Opens the engine and the stores, restores the session, and restarts every transfer of its account
   * that a quit or a crash interrupted.
   */
  static async open(options: AppBackendOptions): Promise<AppBackend> {
    const settings = await SettingsStore.open(
      join(options.dataDir, 'settings.json'),
      options.defaultDownloadFolder,
      options.log,
    );
    const engine = await TransferEngine.open({
      dataDir: options.dataDir,
      secretStore: options.secretStore,
      maxConcurrent: settings.get().maxConcurrentTransfers,
      ...(options.cipher && { cipher: options.cipher }),
      ...options.engine,
      log: options.log,
    });
    const vault = new SessionVault(join(options.dataDir, 'session.sealed'), options.secretStore, options.log);
    const backend = new AppBackend(options, engine, vault, settings);
    await backend.start();
    return backend;
  }

  /** Adds a receiver of pushed events; returns the function that removes it. */
  addEventSink(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Stops every transfer where it is (each resumes at the next start). */
  async close(): Promise<void> {
    this.unsubscribeEngine();
    await this.engine.close();
  }

  private async start(): Promise<void> {
    this.unsubscribeEngine = this.engine.subscribe((update) => this.onTransferUpdate(update));
    this.settings.subscribe((settings) => {
      this.engine.setMaxConcurrent(settings.maxConcurrentTransfers);
      this.emit('settingsChanged', settings);
    });
    await this.sweepSpool();
    this.session = await this.vault.load();
    if (this.session) this.authorise(this.session);
  }

  /** Dropped files whose transfer is gone (or never began) go at start; a failed one may still be retried. */
  private async sweepSpool(): Promise<void> {
    const { spool } = this.options;
    if (!spool) return;
    const needed = new Set(
      this.engine
        .allRecords()
        .filter(
          (record) => record.direction === 'send' && (!isFinalStatus(record.status) || record.status === 'failed'),
        )
        .map((record) => (record.direction === 'send' ? record.source.path : '')),
    );
    const removed = await spool.sweep((path) => needed.has(path));
    if (removed > 0) this.options.log(`removed ${removed} dropped file(s) no transfer needs any more`);
  }

  /** Whether a transfer is the signed-in account's: records from before accounts were kept count as theirs. */
  private ownsRecord(record: TransferRecord | undefined): record is TransferRecord {
    const session = this.session;
    return (
      session !== null &&
      record !== undefined &&
      record.homeserverUrl === normalise(session.homeserverUrl) &&
      (record.userId === undefined || record.userId === session.userId)
    );
  }

  /** The signed-in account's transfer, or NO_SUCH_TRANSFER (another account's is not there for this one). */
  private ownedRecord(id: string): TransferRecord {
    const record = this.engine.record(id);
    if (!this.ownsRecord(record)) throw new IpcError('NO_SUCH_TRANSFER', `there is no transfer ${id}`);
    return record;
  }

  private authorise(session: StoredSession): void {
    this.engine.authorise({ homeserverUrl: session.homeserverUrl, accessToken: session.accessToken });
    const resumed = this.engine.resumeInterrupted((record) => this.ownsRecord(record));
    if (resumed.length > 0) this.options.log(`resuming ${resumed.length} interrupted transfer(s)`);
  }

  private emit: EventSink = (event, payload) => {
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (error) {
        this.options.log(`an event listener failed: ${(error as Error).message}`);
      }
    }
  };

  /** An engine update as the app shows it: marked when its file was dropped into the browser host. */
  private presented(update: TransferUpdate): TransferUpdate {
    const record = this.engine.record(update.id);
    const dropped = record?.direction === 'send' && this.options.spool?.holds(record.source.path);
    return dropped ? { ...update, dropped: true } : update;
  }

  private onTransferUpdate(update: TransferUpdate): void {
    const record = this.engine.record(update.id);
    if (!this.ownsRecord(record)) return;
    this.emit('transferUpdated', this.presented(update));
    // A dropped file's copy goes once its transfer can no longer need it (a failed one may be retried).
    if ((update.status === 'completed' || update.status === 'cancelled') && record.direction === 'send') {
      this.releaseSpooled(record.source.path);
    }
  }

  private releaseSpooled(path: string): void {
    this.options.spool
      ?.release(path)
      .catch((error: unknown) =>
        this.options.log(`could not remove the dropped copy ${path}: ${(error as Error).message}`),
      );
  }

  private requireSession(): StoredSession {
    if (!this.session)
      throw new IpcError('NOT_SIGNED_IN', 'Sign in to your homeserver before sending or receiving files.');
    return this.session;
  }

  private async signOut(): Promise<void> {
    const session = this.session;
    if (!session) return;
    // Transfers stop where they are first: they cannot go on without the token, and resume when this
    // account signs in again. Only then is the session forgotten; if that fails, it is still here.
    await this.engine.pauseWhere((record) => this.ownsRecord(record));
    await this.vault.clear();
    this.engine.revoke(session.homeserverUrl);
    this.session = null;
  }

  private async send(path: string, session: StoredSession, roomId?: string, format?: 'v3' | 'v2') {
    const size = (await stat(path)).size;
    return this.engine.send(path, {
      homeserverUrl: session.homeserverUrl,
      userId: session.userId,
      format: format ?? formatFor(this.settings.get(), size, roomId),
      ...(this.settings.get().directUploads && { preferDirectUpload: true }),
      ...(roomId !== undefined && { roomId }),
    });
  }

  private async receive(request: Parameters<BackendHandlers['receiveFile']>[0], session: StoredSession) {
    try {
      parseReceivable(request.content);
    } catch (error) {
      throw new IpcError(
        'INVALID_CONTENT',
        `This event does not describe a file Slipstream can receive: ${(error as Error).message}`,
      );
    }
    // Asking twice for one event (a double click, a second window) gives the same transfer.
    const existing = this.engine.allRecords().find(
      (record) =>
        // A send carries its own file event's ID too (noteSendEvents): downloading it is a receive.
        record.direction === 'receive' &&
        record.eventId === request.eventId &&
        this.ownsRecord(record) &&
        record.status !== 'failed' &&
        record.status !== 'cancelled',
    );
    if (existing) {
      // Asked again with the sender's outcome (the app heard it since): the transfer takes it.
      if (request.outcome && !isFinalStatus(existing.status)) await this.settle(existing.id, request.outcome);
      return existing.id;
    }
    const pending = this.receiving.get(request.eventId);
    if (pending) return pending;
    if (request.outcome?.kind === 'cancelled') {
      throw new IpcError('MEDIA_UNAVAILABLE', 'Its sender cancelled this file, so there is nothing to download.');
    }
    const starting = this.engine
      .receive({
        event: request.content,
        homeserverUrl: session.homeserverUrl,
        userId: session.userId,
        destinationDir: this.settings.get().downloadFolder,
        roomId: request.roomId,
        eventId: request.eventId,
        // The event's own promise decides (it is end-to-end encrypted, like the key); the request's
        // flag can only add to it. docs/PROTOCOL.md §7.
        awaitOutcome: request.awaitOutcome === true || request.content[OUTCOME_FOLLOWS_KEY] === true,
        ...(request.outcome && { outcome: request.outcome }),
        ...(request.start !== undefined && { start: request.start }),
      })
      .finally(() => this.receiving.delete(request.eventId));
    this.receiving.set(request.eventId, starting);
    return starting;
  }

  /** The sender's outcome for a receive; a kept partial file goes where the settings say. */
  private settle(id: string, outcome: TransferOutcome): Promise<void> {
    return this.engine.settleReceive(id, outcome, { keepPartial: this.settings.get().keepCancelledPartials });
  }

  private makeHandlers(): BackendHandlers {
    const guarded =
      <Args extends unknown[], R>(run: (...args: Args) => Promise<R>) =>
      async (...args: Args): Promise<R> => {
        try {
          return await run(...args);
        } catch (error) {
          throw asIpcError(error);
        }
      };
    const onTransfer = <Request extends { id: string }>(
      act: (id: string, request: Request) => Promise<unknown> | unknown,
    ) =>
      guarded(async (request: Request) => {
        this.ownedRecord(request.id);
        await act(request.id, request);
        return null;
      });
    return {
      appInfo: () => this.options.info,

      loadSession: guarded(async () => this.session),
      saveSession: guarded(async (session) => {
        await this.vault.save(session);
        this.session = session;
        this.authorise(session);
        return null;
      }),
      clearSession: guarded(async () => {
        await this.signOut();
        return null;
      }),

      sendFile: guarded(async ({ source, roomId, format }) => {
        if (source.kind === 'path') {
          const session = this.requireSession();
          const sent = await this.send(await this.options.paths.sendable(source.path), session, roomId, format);
          return { transferId: sent.transferId, content: sent.content };
        }
        if (!this.options.spool) {
          throw new IpcError('UNSUPPORTED', 'Dropped files are sent from where they are in this app.');
        }
        const path = await this.options.spool.pathOf(source.spoolId);
        try {
          const sent = await this.send(path, this.requireSession(), roomId, format);
          return { transferId: sent.transferId, content: sent.content };
        } catch (error) {
          // Nothing will send this copy now: a drop that failed to start leaves no gigabytes behind.
          this.releaseSpooled(path);
          throw error;
        }
      }),
      receiveFile: guarded(async (request) => ({ transferId: await this.receive(request, this.requireSession()) })),
      settleReceive: onTransfer(async (id, { outcome }) => this.settle(id, outcome)),
      noteSendEvents: onTransfer(async (id, { eventId, outcomeAnnounced }) =>
        this.engine.noteSendEvents(id, {
          ...(eventId !== undefined && { eventId }),
          ...(outcomeAnnounced && { outcomeAnnounced }),
        }),
      ),
      pauseTransfer: onTransfer((id) => this.engine.pause(id)),
      resumeTransfer: onTransfer((id) => this.engine.resume(id)),
      cancelTransfer: onTransfer((id) => this.engine.cancel(id)),
      retryTransfer: onTransfer((id) => this.engine.retry(id)),
      forgetTransfer: onTransfer(async (id) => {
        const record = this.engine.record(id);
        await this.engine.forget(id);
        if (record?.direction === 'send') this.releaseSpooled(record.source.path);
        this.emit('transferForgotten', { id });
      }),
      listTransfers: guarded(async () =>
        this.engine
          .list()
          .filter((update) => this.ownsRecord(this.engine.record(update.id)))
          .map((update) => this.presented(update)),
      ),
      transferContent: guarded(async ({ id }) => {
        this.ownedRecord(id);
        return this.engine.contentOf(id);
      }),
      showTransferInFolder: onTransfer(async (id) => this.options.platform.showItemInFolder(await this.shownPath(id))),
      openTransfer: onTransfer(async (id) => {
        const record = this.ownedRecord(id);
        if (record.direction !== 'receive' || record.status !== 'completed' || record.savedPath === undefined) {
          throw new IpcError('WRONG_STATE', 'Only a received file that has finished downloading can be opened.');
        }
        assertSafeToOpen(record.savedPath);
        await assertExists(record.savedPath);
        await this.options.platform.openPath(record.savedPath);
      }),

      getSettings: () => this.settings.get(),
      updateSettings: guarded(async (patch) => {
        if (patch.downloadFolder !== undefined && patch.downloadFolder !== this.settings.get().downloadFolder) {
          await this.options.paths.assertDownloadFolder(patch.downloadFolder);
        }
        return this.settings.update(patch);
      }),

      listFolder: guarded(async ({ path }) => this.options.folders.list(path)),
    };
  }

  /** A file the engine saved (a completed receive) or sent from: nothing else is shown. */
  private async shownPath(id: string): Promise<string> {
    const record = this.ownedRecord(id);
    if (record.direction === 'send') {
      if (this.options.spool?.holds(record.source.path)) {
        throw new IpcError(
          'WRONG_STATE',
          'This file was dropped into the browser; it has no folder of its own on this machine.',
        );
      }
      await assertExists(record.source.path);
      return record.source.path;
    }
    // A cancelled receive may have kept what arrived (settings.keepCancelledPartials).
    if ((record.status !== 'completed' && record.status !== 'cancelled') || record.savedPath === undefined) {
      throw new IpcError('WRONG_STATE', 'This file has not finished downloading, so it is not in a folder yet.');
    }
    await assertExists(record.savedPath);
    return record.savedPath;
  }
}

async function assertExists(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new IpcError('PATH_UNAVAILABLE', `${path} is no longer there (it was moved or deleted)`);
  }
}
