import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatFor, type Settings } from '../../../shared/app/settings.js';
import { parseReceivableFile } from '../../../shared/matrix/file-message.js';
import type { EventName, PayloadOf } from '../../../shared/ipc/contract-kit.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import type { AppContract, AppInfo, SlipstreamHandlers, StoredSession } from '../../../shared/ipc-contract.js';
import { isFinalStatus, type TransferUpdate } from '../../../shared/transfer/transfer-update.js';
import type { FrameCipher } from '../codec/frame-cipher.js';
import type { ForwardedChannel } from '../engine-host/engine-host-contract.js';
import type { SecretStore } from '../state/secret-store.js';
import { TransferEngine, type TransferEngineOptions } from '../transfer/transfer-engine.js';
import { asIpcError } from './backend-errors.js';
import { type FolderAccess, isInside } from './folder-access.js';
import { SessionVault } from './session-vault.js';
import { SettingsStore } from './settings-store.js';
import type { Spool } from './spool.js';

/** What only the front end's own process can do for the backend: Electron's shell, or the host's opener. */
export interface HostPlatform {
  showItemInFolder(path: string): Promise<void>;
  openPath(path: string): Promise<void>;
}

/** Every app channel but the system's dialogs, which only Electron's main process can show. */
export type BackendHandlers = Pick<SlipstreamHandlers, ForwardedChannel>;

/** Receives the pushed events, to send them on to the renderer(s). */
export type EventSink = <E extends EventName<AppContract>>(event: E, payload: PayloadOf<AppContract, E>) => void;

export interface AppBackendOptions {
  readonly dataDir: string;
  readonly secretStore: SecretStore;
  readonly platform: HostPlatform;
  readonly info: AppInfo;
  readonly defaultDownloadFolder: string;
  /** What the app's own chooser lists; with `restrictSendsToFolders`, also what may be sent. */
  readonly folders: FolderAccess;
  /**
   * The browser host sends only from home and the folders it was given (a page cannot hand it any
   * path it likes); the desktop app sends any file the user can read, since its paths come from the
   * system's dialogs and drops. Both refuse the data directory.
   */
  readonly restrictSendsToFolders: boolean;
  /** Dropped files copied in by the browser host. */
  readonly spool?: Spool;
  readonly cipher?: FrameCipher;
  /** For tests: a quicker retry policy, say. */
  readonly engine?: Partial<Pick<TransferEngineOptions, 'retry' | 'updateIntervalMs' | 'downloadTimeoutMs'>>;
  readonly log: (line: string) => void;
}

/**
 * The main side of the app, without Electron: the transfer engine, the signed-in session, settings,
 * and the app's own file chooser, answering the app contract. It runs in Electron's utility process
 * (engine-host.ts) and in the browser host's process alike.
 */
export class AppBackend {
  readonly handlers: BackendHandlers;
  private readonly sinks = new Set<EventSink>();
  private session: StoredSession | null = null;
  private unsubscribeEngine: () => void = () => undefined;

  private constructor(
    private readonly options: AppBackendOptions,
    readonly engine: TransferEngine,
    private readonly vault: SessionVault,
    private readonly settings: SettingsStore,
  ) {
    this.handlers = this.makeHandlers();
  }

  /**
   * Opens the engine and the stores, restores the session, and restarts every transfer a quit or a
   * crash interrupted (those of the signed-in homeserver; the rest wait for its session).
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
    const backend = new AppBackend(
      options,
      engine,
      new SessionVault(join(options.dataDir, 'session.sealed'), options.secretStore, options.log),
      settings,
    );
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
    if (this.options.spool) {
      const sources = new Set(
        this.engine
          .list()
          .filter((update) => !isFinalStatus(update.status) || update.status === 'failed')
          .map((update) => this.engine.record(update.id))
          .flatMap((record) => (record?.direction === 'send' ? [record.source.path] : [])),
      );
      const removed = await this.options.spool.sweep((path) => sources.has(path));
      if (removed > 0) this.options.log(`removed ${removed} dropped file(s) no transfer needs any more`);
    }
    this.session = await this.vault.load();
    if (this.session) this.authorise(this.session);
  }

  private authorise(session: StoredSession): void {
    this.engine.authorise({ homeserverUrl: session.homeserverUrl, accessToken: session.accessToken });
    const homeserver = session.homeserverUrl.replace(/\/+$/, '');
    const resumed = this.engine.resumeInterrupted((record) => record.homeserverUrl === homeserver);
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
    this.emit('transferUpdated', this.presented(update));
    // A dropped file's copy goes once its transfer can no longer need it (a failed one may be retried).
    if ((update.status === 'completed' || update.status === 'cancelled') && this.options.spool) {
      const record = this.engine.record(update.id);
      if (record?.direction === 'send') void this.options.spool.release(record.source.path);
    }
  }

  private requireSession(): StoredSession {
    if (!this.session)
      throw new IpcError('NOT_SIGNED_IN', 'Sign in to your homeserver before sending or receiving files.');
    return this.session;
  }

  /** The real path of a file the renderer asks to send, if this front end may send it. */
  private async sendablePath(path: string): Promise<string> {
    const real = this.options.restrictSendsToFolders
      ? await this.options.folders.check(path)
      : await realpath(path).catch((error: NodeJS.ErrnoException) => {
          throw new IpcError(
            'PATH_UNAVAILABLE',
            error.code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${error.code})`,
          );
        });
    const dataDir = await realpath(this.options.dataDir).catch(() => this.options.dataDir);
    const spoolDir = this.options.spool?.directory;
    if (isInside(dataDir, real) && !(spoolDir && isInside(spoolDir, real))) {
      throw new IpcError('PATH_REFUSED', `${path} holds Slipstream's own keys and state, which are never sent`);
    }
    return real;
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
        const signedOut = this.session;
        this.session = null;
        await this.vault.clear();
        if (signedOut) {
          // Transfers stop where they are: they cannot go on without the token, and resume when this account signs in again.
          const homeserver = signedOut.homeserverUrl.replace(/\/+$/, '');
          const active = this.engine
            .list()
            .filter((update) => !isFinalStatus(update.status) && update.status !== 'paused');
          for (const update of active) {
            if (this.engine.record(update.id)?.homeserverUrl === homeserver) await this.engine.pause(update.id);
          }
          this.engine.revoke(homeserver);
        }
        return null;
      }),

      sendFile: guarded(async ({ source, roomId, format }) => {
        const session = this.requireSession();
        const path =
          source.kind === 'path' ? await this.sendablePath(source.path) : await this.spooledPath(source.spoolId);
        const size = (await stat(path)).size;
        const chosen = format ?? formatFor(this.settings.get(), size, roomId);
        const sent = await this.engine.send(path, {
          homeserverUrl: session.homeserverUrl,
          format: chosen,
          ...(roomId !== undefined && { roomId }),
        });
        return { transferId: sent.transferId, content: sent.content };
      }),
      receiveFile: guarded(async ({ content, roomId, eventId, start }) => {
        const session = this.requireSession();
        try {
          parseReceivableFile(content);
        } catch (error) {
          throw new IpcError(
            'INVALID_CONTENT',
            `This event does not describe a file Slipstream can receive: ${(error as Error).message}`,
          );
        }
        // Asking twice for the same event (a double click, a second window) gives the same transfer.
        const existing = this.engine
          .list()
          .find((update) => update.eventId === eventId && update.status !== 'failed' && update.status !== 'cancelled');
        if (existing) return { transferId: existing.id };
        const transferId = await this.engine.receive({
          event: content,
          homeserverUrl: session.homeserverUrl,
          destinationDir: this.settings.get().downloadFolder,
          roomId,
          eventId,
          ...(start !== undefined && { start }),
        });
        return { transferId };
      }),
      pauseTransfer: guarded(async ({ id }) => {
        await this.engine.pause(id);
        return null;
      }),
      resumeTransfer: guarded(async ({ id }) => {
        this.engine.resume(id);
        return null;
      }),
      cancelTransfer: guarded(async ({ id }) => {
        await this.engine.cancel(id);
        return null;
      }),
      retryTransfer: guarded(async ({ id }) => {
        await this.engine.retry(id);
        return null;
      }),
      forgetTransfer: guarded(async ({ id }) => {
        const record = this.engine.record(id);
        await this.engine.forget(id);
        if (record?.direction === 'send') await this.options.spool?.release(record.source.path);
        this.emit('transferForgotten', { id });
        return null;
      }),
      listTransfers: guarded(async () => this.engine.list().map((update) => this.presented(update))),
      transferContent: guarded(async ({ id }) => this.engine.contentOf(id)),
      showTransferInFolder: guarded(async ({ id }) => {
        await this.options.platform.showItemInFolder(await this.shownPath(id));
        return null;
      }),
      openTransfer: guarded(async ({ id }) => {
        const record = this.engine.record(id);
        if (record?.direction !== 'receive' || record.status !== 'completed' || record.savedPath === undefined) {
          throw new IpcError('WRONG_STATE', 'Only a received file that has finished downloading can be opened.');
        }
        await this.assertExists(record.savedPath);
        await this.options.platform.openPath(record.savedPath);
        return null;
      }),

      getSettings: () => this.settings.get(),
      updateSettings: guarded(async (patch) => this.settings.update(patch)),

      listFolder: guarded(async ({ path }) => this.options.folders.list(path)),
    };
  }

  /** A file the engine saved (a completed receive) or sent from: nothing else is shown. */
  private async shownPath(id: string): Promise<string> {
    const record = this.engine.record(id);
    if (!record) throw new IpcError('NO_SUCH_TRANSFER', `there is no transfer ${id}`);
    if (record.direction === 'send') {
      if (this.options.spool?.holds(record.source.path)) {
        throw new IpcError(
          'WRONG_STATE',
          'This file was dropped into the browser; it has no folder of its own on this machine.',
        );
      }
      await this.assertExists(record.source.path);
      return record.source.path;
    }
    if (record.status !== 'completed' || record.savedPath === undefined) {
      throw new IpcError('WRONG_STATE', 'This file has not finished downloading, so it is not in a folder yet.');
    }
    await this.assertExists(record.savedPath);
    return record.savedPath;
  }

  private async assertExists(path: string): Promise<void> {
    try {
      await stat(path);
    } catch {
      throw new IpcError('PATH_UNAVAILABLE', `${path} is no longer there (it was moved or deleted)`);
    }
  }

  private async spooledPath(spoolId: string): Promise<string> {
    if (!this.options.spool)
      throw new IpcError('UNSUPPORTED', 'Dropped files are sent from where they are in this app; there is no spool.');
    return this.options.spool.pathOf(spoolId);
  }

  currentSettings(): Settings {
    return this.settings.get();
  }
}
