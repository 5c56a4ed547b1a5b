import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { serveContract } from '../../../shared/ipc/message-link.js';
import { appContract, type SlipstreamHandlers } from '../../../shared/ipc-contract.js';
import { AppBackend, type AppBackendOptions } from '../app/app-backend.js';
import { contentSecurityPolicy } from '../app/content-security-policy.js';
import { FolderAccess, placesFor } from '../app/folder-access.js';
import { OpenedFilesInbox } from '../app/opened-files.js';
import { folderPathPolicy } from '../app/path-policy.js';
import { Spool } from '../app/spool.js';
import { FileSecretStore, type SecretStore } from '../state/secret-store.js';
import { createMediaHandler } from '../transfer/media-handler.js';
import { answer, MEDIA_PREFIX, routeRequest } from './host-routes.js';
import { takeLock } from './instance-lock.js';
import { listenOnRememberedPort } from './remembered-port.js';
import { RequestGuard } from './request-guard.js';
import { systemOpener } from './system-opener.js';
import { websocketLink } from './websocket-link.js';

export interface BrowserHostOptions {
  /** The app's data directory: transfers, settings, the sealed session, the spool, the lock. */
  readonly dataDir: string;
  /** The built renderer (index.html and its assets). */
  readonly rendererDir: string;
  /**
   * 0 picks a free port. Unset: the port of the last start when it is free (the page's storage, its
   * encryption keys included, belongs to the origin), else a free one.
   */
  readonly port?: number;
  /** Folders besides home that the chooser lists and sends may come from. */
  readonly extraFolders?: readonly string[];
  /** Files given on the command line, offered to the page when it starts. */
  readonly openedFiles?: readonly string[];
  readonly version: string;
  readonly log: (line: string) => void;
  readonly home?: string;
  readonly secretStore?: SecretStore;
  readonly engine?: AppBackendOptions['engine'];
  /** Where received files go until the settings say otherwise. */
  readonly defaultDownloadFolder?: string;
}

export interface BrowserHost {
  /** The address to open: it carries this launch's key, which the page trades for a cookie. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly backend: AppBackend;
  close(): Promise<void>;
}

/** One page's WebSocket: the contract served on it, and whether it takes files handed over. */
interface Connection {
  readonly socket: WebSocket;
  emitOpened(paths: string[]): void;
}

/**
 * The browser host (`slipstream app`): the whole app in a normal browser, for machines where
 * Electron's binary cannot run, headless machines and remote desktops. One process holds the engine
 * (started with the engine's V8 options by bin/slipstream), serves the built renderer, carries the app
 * contract over a WebSocket at /ipc and decrypted media over HTTP with Range at /media/transfer/…,
 * takes dropped files into the spool with PUT /spool (host-routes.ts), and listens on 127.0.0.1 only,
 * behind the checks of request-guard.ts. It answers from the moment it listens: 503 while the engine
 * opens, so a second launch that finds it never takes it for gone.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const dataDir = resolve(options.dataDir);
  const home = options.home ?? homedir();
  const launchKey = randomBytes(32).toString('base64url');
  const secretStore = options.secretStore ?? new FileSecretStore(join(dataDir, 'secret-store.key'));
  const spool = new Spool(join(dataDir, 'spool'));
  let opened:
    | {
        backend: AppBackend;
        handlers: Omit<SlipstreamHandlers, 'takeOpenedFiles'>;
        media: ReturnType<typeof createMediaHandler>;
      }
    | undefined;

  // Files handed over wait until a page takes them (takeOpenedFiles), then go to the page that took
  // them last: one offer on one page, never one per open tab.
  const listening: Connection[] = [];
  const inbox = new OpenedFilesInbox((paths) => listening.at(-1)?.emitOpened(paths));
  if (options.openedFiles) inbox.deliver(options.openedFiles);

  const server: Server = createServer();
  // Set once the server listens, before any request can arrive.
  const listeningOn = { port: 0, guard: undefined as RequestGuard | undefined, policy: '' };
  server.on('request', (request, response) => {
    routeRequest(
      {
        guard: listeningOn.guard!,
        origin: `http://127.0.0.1:${listeningOn.port}`,
        rendererDir: options.rendererDir,
        policy: listeningOn.policy,
        ready: () => opened && { media: opened.media, spool },
        offerOpenedFiles: (paths) => inbox.deliver(paths),
      },
      request,
      response,
    ).catch((error: unknown) => {
      options.log(`a request for ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
      answer(response, 500, 'Slipstream hit an unexpected problem answering this request');
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const connections = new Set<Connection>();
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = upgradeRefusal(listeningOn.guard!, request, opened !== undefined);
    if (refusal !== undefined) {
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refusal.reason}\n`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => connect(webSocket));
  });

  const connect = (webSocket: WebSocket): void => {
    const { backend, handlers } = opened!;
    // A message past maxPayload, or a broken frame, ends this connection, never the host.
    webSocket.on('error', (error) => options.log(`a page's connection failed: ${error.message}`));
    const link = websocketLink(webSocket, () => options.log('ignored a WebSocket message that is not JSON'));
    const connection: Connection = {
      socket: webSocket,
      emitOpened: (paths) => contract.emit('filesOpened', { paths }),
    };
    const contract = serveContract(
      link,
      appContract,
      {
        ...handlers,
        takeOpenedFiles: () => {
          if (!listening.includes(connection)) listening.push(connection);
          return { paths: inbox.take() };
        },
      },
      {
        onUnexpected: (name, error) =>
          options.log(`${name} failed unexpectedly: ${(error as Error).stack ?? String(error)}`),
      },
    );
    const removeSink = backend.addEventSink((event, payload) => contract.emit(event, payload));
    connections.add(connection);
    webSocket.once('close', () => {
      connections.delete(connection);
      const index = listening.indexOf(connection);
      if (index >= 0) listening.splice(index, 1);
      if (listening.length === 0) inbox.stopListening();
      contract.stop();
      removeSink();
    });
  };

  await mkdir(dataDir, { recursive: true });
  const port = await listenOnRememberedPort(server, dataDir, options.port);
  listeningOn.port = port;
  listeningOn.guard = new RequestGuard(port, launchKey);
  listeningOn.policy = contentSecurityPolicy({ connectSources: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
  const origin = `http://127.0.0.1:${port}`;
  let lock: { release(): Promise<void> };
  try {
    lock = await takeLock(dataDir, { pid: process.pid, port, launchKey });
  } catch (error) {
    server.close();
    throw error;
  }

  try {
    const folders = await FolderAccess.create(placesFor(home, options.extraFolders ?? []), [dataDir]);
    const backend = await AppBackend.open({
      dataDir,
      secretStore,
      platform: systemOpener(),
      info: {
        version: options.version,
        host: 'browser',
        versions: { node: process.versions.node },
        platform: process.platform,
        mediaBaseUrl: `${MEDIA_PREFIX}/transfer/`,
        fileChooser: 'host',
        droppedFiles: 'spool',
        secretStorage: secretStore.description,
      },
      defaultDownloadFolder: options.defaultDownloadFolder ?? (await defaultDownloads(home)),
      folders,
      paths: folderPathPolicy(folders),
      spool,
      log: options.log,
      ...(options.engine && { engine: options.engine }),
    });
    const noDialogs = async (): Promise<never> => {
      throw new IpcError(
        'NO_NATIVE_DIALOG',
        "Slipstream is running in a browser, which cannot show this machine's file dialogs; use the app's own file chooser.",
      );
    };
    opened = {
      backend,
      media: createMediaHandler(backend.engine),
      handlers: { ...backend.handlers, chooseFiles: noDialogs, chooseFolder: noDialogs },
    };
  } catch (error) {
    await lock.release();
    server.close();
    throw error;
  }
  const { backend } = opened;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/open?key=${launchKey}`,
    origin,
    port,
    backend,
    close: () =>
      (closing ??= (async () => {
        for (const connection of connections) connection.socket.terminate();
        sockets.close();
        server.closeAllConnections();
        await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
        await backend.close();
        await lock.release();
      })()),
  };
}

/** Why a WebSocket upgrade is refused, if it is: the guard's checks, the session cookie, the path, readiness. */
function upgradeRefusal(
  guard: RequestGuard,
  request: IncomingMessage,
  ready: boolean,
): { status: number; reason: string } | undefined {
  const url = new URL(request.url ?? '/', 'http://host');
  const guarded = { method: 'GET', path: url.pathname, headers: request.headers };
  const verdict = guard.checkOrigin(guarded, { requireOrigin: true });
  if (!verdict.allowed) return { status: verdict.status, reason: verdict.reason };
  if (!guard.hasSession(guarded))
    return { status: 401, reason: 'this browser has not been given the key of the running Slipstream' };
  if (url.pathname !== '/ipc') return { status: 404, reason: 'there is no WebSocket here' };
  if (!ready) return { status: 503, reason: 'Slipstream is starting; try again in a moment' };
  return undefined;
}

async function defaultDownloads(home: string): Promise<string> {
  const downloads = join(home, 'Downloads');
  return (await stat(downloads).catch(() => undefined))?.isDirectory() ? downloads : home;
}
