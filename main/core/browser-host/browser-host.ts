import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { absolutePathSchema } from '../../../shared/app/identifiers.js';
import { failureOf, IpcError } from '../../../shared/ipc/ipc-error.js';
import { serveContract } from '../../../shared/ipc/message-link.js';
import { appContract, type SlipstreamHandlers } from '../../../shared/ipc-contract.js';
import { AppBackend, type AppBackendOptions } from '../app/app-backend.js';
import { contentSecurityPolicy } from '../app/content-security-policy.js';
import { FolderAccess, placesFor } from '../app/folder-access.js';
import { Spool } from '../app/spool.js';
import { respondWithFetchHandler } from '../http/fetch-handler-server.js';
import { FileSecretStore, type SecretStore } from '../state/secret-store.js';
import { createMediaHandler } from '../transfer/media-handler.js';
import { takeLock } from './instance-lock.js';
import { RequestGuard } from './request-guard.js';
import { serveStaticFile } from './static-files.js';
import { systemOpener } from './system-opener.js';
import { websocketLink } from './websocket-link.js';

export interface BrowserHostOptions {
  /** The app's data directory: transfers, settings, the sealed session, the spool, the lock. */
  readonly dataDir: string;
  /** The built renderer (index.html and its assets). */
  readonly rendererDir: string;
  /** 0 (the default) picks a free port. */
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

const MEDIA_PREFIX = '/media';
const handoffSchema = z.strictObject({ paths: z.array(absolutePathSchema).min(1).max(1000) });

/** Headers on every answer: no sniffing, no framing, no reading by other origins, nothing kept. */
const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function answer(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  response.end(`${body}\n`);
}

function answerJson(response: ServerResponse, status: number, value: unknown): void {
  answer(response, status, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** A short page for a person who opened the host's address without its key. */
function keyNeededPage(reason: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Slipstream</title>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Slipstream needs its key</h1><p>${reason}</p>
<p>Open the address that <code>slipstream app</code> printed when it started: it ends with <code>/open?key=…</code>.
Running <code>slipstream app</code> again prints it too.</p></body>`;
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of request as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > limit) throw new IpcError('INVALID_REQUEST', 'the request body is too large');
  }
  return text;
}

/**
 * The browser host (`slipstream app`): the whole app in a normal browser, for machines where
 * Electron's binary cannot run, headless machines and remote desktops. One process holds the engine
 * (started with the engine's V8 options by bin/slipstream), serves the built renderer, carries the app
 * contract over a WebSocket at /ipc and decrypted media over HTTP with Range at /media/transfer/…,
 * takes dropped files into the spool with PUT /spool, and listens on 127.0.0.1 only, behind the checks
 * of request-guard.ts.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const dataDir = resolve(options.dataDir);
  const home = options.home ?? homedir();
  const launchKey = randomBytes(32).toString('base64url');
  const secretStore = options.secretStore ?? new FileSecretStore(join(dataDir, 'secret-store.key'));
  const spool = new Spool(join(dataDir, 'spool'));
  const server: Server = createServer();
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let lock: { release(): Promise<void> };
  try {
    lock = await takeLock(dataDir, { pid: process.pid, port, launchKey });
  } catch (error) {
    server.close();
    throw error;
  }

  let backend: AppBackend;
  try {
    backend = await AppBackend.open({
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
      folders: await FolderAccess.create(placesFor(home, options.extraFolders ?? []), [dataDir]),
      restrictSendsToFolders: true,
      spool,
      log: options.log,
      ...(options.engine && { engine: options.engine }),
    });
  } catch (error) {
    await lock.release();
    server.close();
    throw error;
  }

  const guard = new RequestGuard(port, launchKey);
  const policy = contentSecurityPolicy({ connectSources: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
  const mediaHandler = createMediaHandler(backend.engine);
  const openedFiles: string[] = [...(options.openedFiles ?? [])];
  const connections = new Set<{ emitOpened(paths: string[]): void; close(): void }>();

  const noDialogs = async (): Promise<never> => {
    throw new IpcError(
      'NO_NATIVE_DIALOG',
      "Slipstream is running in a browser, which cannot show this machine's file dialogs; use the app's own file chooser.",
    );
  };
  const handlers: SlipstreamHandlers = {
    ...backend.handlers,
    chooseFiles: noDialogs,
    chooseFolder: noDialogs,
    takeOpenedFiles: () => ({ paths: openedFiles.splice(0) }),
  };

  const offerOpenedFiles = (paths: string[]) => {
    if (connections.size === 0) {
      openedFiles.push(...paths);
      return;
    }
    for (const connection of connections) connection.emitOpened(paths);
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';
    const verdict = guard.checkOrigin({ method, path: url.pathname, headers: request.headers });
    if (!verdict.allowed) return answer(response, verdict.status, verdict.reason);

    if (url.pathname === '/open' && (method === 'GET' || method === 'HEAD')) {
      if (!guard.acceptsLaunchKey(url.searchParams.get('key'))) {
        return answer(
          response,
          403,
          keyNeededPage('This key is not the running app’s: it may be from an earlier launch.'),
          {
            'Content-Type': 'text/html; charset=utf-8',
          },
        );
      }
      response.writeHead(303, {
        ...BASE_HEADERS,
        'Set-Cookie': guard.openSession(randomBytes(32).toString('base64url')),
        Location: '/',
      });
      response.end();
      return;
    }

    if (url.pathname === '/handoff') {
      if (!guard.hasLaunchKey({ method, path: url.pathname, headers: request.headers })) {
        return answer(response, 401, 'the launch key is needed to hand files over');
      }
      if (method === 'HEAD') return answer(response, 200, '');
      if (method !== 'POST') return answer(response, 405, `${method} is not supported here`, { Allow: 'HEAD, POST' });
      try {
        const { paths } = handoffSchema.parse(JSON.parse(await readBody(request, 1_000_000)));
        const files = await existingFiles(paths);
        if (files.length === 0) return answer(response, 400, 'none of those paths is a file');
        offerOpenedFiles(files);
        return answer(response, 200, `${files.length} file(s) handed over`);
      } catch (error) {
        return answer(response, 400, `the hand-off is not valid: ${failureOf(error).message}`);
      }
    }

    if (!guard.hasSession({ method, path: url.pathname, headers: request.headers })) {
      const wantsPage = (request.headers['accept'] ?? '').includes('text/html');
      return wantsPage
        ? answer(response, 401, keyNeededPage('This browser has not been given the key of the running app.'), {
            'Content-Type': 'text/html; charset=utf-8',
          })
        : answer(response, 401, 'this browser has not been given the key of the running Slipstream');
    }

    if (url.pathname.startsWith(`${MEDIA_PREFIX}/`)) {
      request.url = url.pathname.slice(MEDIA_PREFIX.length) + url.search;
      const withHeaders = async (fetchRequest: Request) => {
        const media = await mediaHandler(fetchRequest);
        const headers = new Headers(media.headers);
        for (const [name, value] of Object.entries(BASE_HEADERS)) if (!headers.has(name)) headers.set(name, value);
        return new Response(media.body, { status: media.status, headers });
      };
      return respondWithFetchHandler(withHeaders, request, response, origin);
    }

    if (url.pathname === '/spool') {
      if (method !== 'PUT') return answer(response, 405, `${method} is not supported here`, { Allow: 'PUT' });
      const name = url.searchParams.get('name');
      if (!name) return answerJson(response, 400, { code: 'INVALID_REQUEST', message: 'the dropped file has no name' });
      const length = request.headers['content-length'];
      try {
        const spooled = await spool.receive(name, length === undefined ? undefined : Number(length), request);
        return answerJson(response, 201, { spoolId: spooled.spoolId, size: spooled.size });
      } catch (error) {
        const failure = failureOf(error);
        return answerJson(response, failure.code === 'DISK_FULL' ? 507 : 400, failure);
      }
    }

    if (method !== 'GET' && method !== 'HEAD') return answer(response, 405, `${method} is not supported here`);
    const served = await serveStaticFile(
      options.rendererDir,
      url.pathname,
      response,
      { ...BASE_HEADERS, 'Content-Security-Policy': policy },
      method,
    );
    if (!served) answer(response, 404, 'not found');
  };

  server.on('request', (request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      options.log(`a request for ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
      answer(response, 500, 'Slipstream hit an unexpected problem answering this request');
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(request.url ?? '/', origin);
    const guarded = { method: 'GET', path: url.pathname, headers: request.headers };
    const verdict = guard.checkOrigin(guarded, { requireOrigin: true });
    const refusal = !verdict.allowed
      ? `${verdict.status} ${verdict.reason}`
      : !guard.hasSession(guarded)
        ? '401 this browser has not been given the key of the running Slipstream'
        : url.pathname !== '/ipc'
          ? '404 there is no WebSocket here'
          : undefined;
    if (refusal !== undefined) {
      const [status, ...reason] = refusal.split(' ');
      socket.end(
        `HTTP/1.1 ${status} Refused\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason.join(' ')}\n`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      const link = websocketLink(webSocket, () => options.log('ignored a WebSocket message that is not JSON'));
      const contract = serveContract(link, appContract, handlers, {
        onUnexpected: (name, error) =>
          options.log(`${name} failed unexpectedly: ${(error as Error).stack ?? String(error)}`),
      });
      const removeSink = backend.addEventSink((event, payload) => contract.emit(event, payload));
      const connection = {
        emitOpened: (paths: string[]) => contract.emit('filesOpened', { paths }),
        close: () => webSocket.terminate(),
      };
      connections.add(connection);
      webSocket.once('close', () => {
        connections.delete(connection);
        contract.stop();
        removeSink();
      });
    });
  });

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/open?key=${launchKey}`,
    origin,
    port,
    backend,
    close: () =>
      (closing ??= (async () => {
        for (const connection of connections) connection.close();
        sockets.close();
        server.closeAllConnections();
        await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
        await backend.close();
        await lock.release();
      })()),
  };
}

async function existingFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) if ((await stat(path).catch(() => undefined))?.isFile()) files.push(path);
  return files;
}

async function defaultDownloads(home: string): Promise<string> {
  const downloads = join(home, 'Downloads');
  return (await stat(downloads).catch(() => undefined))?.isDirectory() ? downloads : home;
}
