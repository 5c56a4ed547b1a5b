import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, net, protocol, session, type WebContents, type WebFrameMain } from 'electron';
import { createMediaHandler } from '../core/transfer/media-handler.js';
import { TransferEngine } from '../core/transfer/transfer-engine.js';
import { createAppSecretStore } from './safe-storage-secret-store.js';
import {
  invokeChannels,
  parseInvokeResponse,
  type InvokeHandlers,
  type InvokeName,
} from '../../shared/ipc-contract.js';

/*
 * The Electron adapter: windows, the renderer's origin and its security policy, and the IPC handlers.
 * Everything with behaviour worth testing lives in main/core/, which never imports Electron.
 *
 * Built layout (the packaged app's `main` is dist/electron/main.js):
 *   dist/electron/main.js      this file
 *   dist/electron/preload.cjs  preload/index.ts bundled to one CommonJS file, because a sandboxed preload
 *                              can load neither ES modules nor anything from disk but 'electron'
 *   dist/renderer/             `npm run build:renderer`
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.resolve(here, '../renderer');
const PRELOAD_PATH = path.join(here, 'preload.cjs');

/*
 * The built renderer is served from a privileged custom scheme rather than file://: it gets a real origin
 * that 'self' in the CSP and the IPC sender check can name, and it can reach no other file on disk.
 */
const APP_SCHEME = 'slipstream-app';
const APP_HOST = 'renderer';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/**
 * Decrypted media for <video>/<img>: `slipstream-media://transfer/<id>/<name>`, served by the transfer
 * engine's media handler (ranges, waiting for bytes not uploaded yet). The heavy bytes never cross IPC.
 */
const MEDIA_SCHEME = 'slipstream-media';

const PRODUCTION_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  `media-src 'self' blob: ${MEDIA_SCHEME}:`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Vite's dev server needs an inline React Refresh preamble, injected <style> tags and a WebSocket for HMR. */
function developmentCsp(devOrigin: URL): string {
  const socket = `${devOrigin.protocol === 'https:' ? 'wss:' : 'ws:'}//${devOrigin.host}`;
  return PRODUCTION_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("connect-src 'self'", `connect-src 'self' ${socket}`);
}

/**
 * SLIPSTREAM_RENDERER_URL points an unpackaged app at Vite's dev server. Only loopback URLs are accepted:
 * whatever page is loaded receives the preload's API, so a stray variable must not hand it to a remote site.
 */
function developmentRendererUrl(): URL | undefined {
  const configured = process.env['SLIPSTREAM_RENDERER_URL'];
  if (app.isPackaged || !configured) return undefined;
  const url = new URL(configured);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (!loopback || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`SLIPSTREAM_RENDERER_URL must be an http(s) URL on this machine, not ${configured}`);
  }
  return url;
}

const devUrl = developmentRendererUrl();
const trustedOrigin = devUrl?.origin ?? APP_ORIGIN;

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  // `stream` lets <video> read ranges as they are produced instead of buffering whole responses.
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

/** The transfer engine lives as long as the app; its state is in the user-data directory. */
let engine: TransferEngine | undefined;

async function startTransferEngine(): Promise<void> {
  const dataDir = app.getPath('userData');
  engine = await TransferEngine.open({
    dataDir,
    secretStore: createAppSecretStore(path.join(dataDir, 'secret-store.key')),
    log: (line) => console.warn(`transfers: ${line}`),
  });
  protocol.handle(MEDIA_SCHEME, createMediaHandler(engine));
}

app.on('before-quit', (event) => {
  if (!engine) return;
  // Stop transfers where they are (they resume next start), then quit for real.
  event.preventDefault();
  const closing = engine;
  engine = undefined;
  void closing.close().finally(() => app.quit());
});

/** Serves dist/renderer/ and nothing outside it, with the CSP on every response. */
async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  let file: string;
  try {
    const relativePath = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    file = path.resolve(RENDERER_DIR, `.${relativePath}`);
  } catch {
    return new Response('Bad request', { status: 400 });
  }
  if (url.host !== APP_HOST || !file.startsWith(RENDERER_DIR + path.sep)) {
    return new Response('Not found', { status: 404 });
  }
  let response: Response;
  try {
    response = await net.fetch(pathToFileURL(file).toString());
  } catch {
    // net.fetch rejects for a missing file; the page gets a 404 like any other missing resource.
    return new Response('Not found', { status: 404 });
  }
  const headers = new Headers(response.headers);
  headers.set('Content-Security-Policy', PRODUCTION_CSP);
  headers.set('X-Content-Type-Options', 'nosniff');
  return new Response(response.body, { status: response.status, headers });
}

function isTrustedUrl(url: string): boolean {
  try {
    return new URL(url).origin === trustedOrigin;
  } catch {
    return false;
  }
}

/** Applied to every WebContents, so a window created later cannot forget it. */
function restrictWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isTrustedUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isTrustedUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The renderer is the only caller allowed; a frame from any other origin gets no answer. */
function assertTrustedSender(frame: WebFrameMain | null, channel: string): void {
  if (!frame || !isTrustedUrl(frame.url)) {
    throw new Error(`refused ${channel} from an untrusted frame (${frame?.url ?? 'gone'})`);
  }
}

const handlers: InvokeHandlers = {
  versions: () => ({
    app: app.getVersion(),
    electron: process.versions.electron,
    chrome: process.versions.chrome,
    node: process.versions.node,
  }),
};

function registerIpcHandlers(): void {
  for (const name of Object.keys(invokeChannels) as InvokeName[]) {
    const { channel } = invokeChannels[name];
    ipcMain.handle(channel, async (event) => {
      assertTrustedSender(event.senderFrame, channel);
      return parseInvokeResponse(name, await handlers[name]());
    });
  }
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    title: 'Slipstream',
    show: false,
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.loadURL(devUrl?.href ?? `${APP_ORIGIN}/index.html`).catch((error: unknown) => {
    console.error('Slipstream could not load its window:', error);
    app.exit(1);
  });
  return window;
}

app.on('web-contents-created', (_event, contents) => restrictWebContents(contents));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app
  .whenReady()
  .then(async () => {
    // Slipstream asks for no browser permission yet (camera, notifications, …); deny until a feature needs one.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    if (devUrl) {
      const policy = developmentCsp(devUrl);
      session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
        if (!isTrustedUrl(details.url)) return callback({});
        callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
      });
    } else {
      protocol.handle(APP_SCHEME, serveRenderer);
    }
    registerIpcHandlers();
    await startTransferEngine();
    createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
    });
  })
  .catch((error: unknown) => {
    console.error('Slipstream failed to start:', error);
    app.exit(1);
  });
