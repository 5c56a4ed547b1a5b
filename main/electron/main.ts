import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, net, protocol, screen, session, shell } from 'electron';
import { placeWindow, WindowStateFile, WindowStateRecorder } from '../core/app/window-state.js';
import { EngineHostSupervisor, forwardingHandlers } from '../core/engine-host/engine-host-supervisor.js';
import { PathGrants } from '../core/engine-host/path-grants.js';
import { createMediaRelay } from '../core/engine-host/media-endpoint.js';
import type { EventName, PayloadOf } from '../../shared/ipc/contract-kit.js';
import type { AppContract } from '../../shared/ipc-contract.js';
import { installApplicationMenu } from './application-menu.js';
import { contentSecurityPolicy } from './content-security-policy.js';
import { createDesktopIntegration } from './desktop-integration.js';
import { spawnEngineProcess } from './engine-process.js';
import { dialogHandlers } from './file-dialogs.js';
import { quitGracefully } from './graceful-quit.js';
import { hostPlatformHandlers } from './host-platform.js';
import { listenForDroppedPaths, pushAppEvent, serveAppContract } from './ipc-bridge.js';
import { applyDevelopmentPolicy, createRendererHandler } from './renderer-protocol.js';
import {
  APP_SCHEME,
  developmentRendererUrl,
  MEDIA_SCHEME,
  registerPrivilegedSchemes,
  rendererOrigin,
} from './renderer-origin.js';
import { createRendererWindow, rememberWindowState } from './renderer-window.js';
import { createAppSecretStore } from './safe-storage-secret-store.js';
import { OpenedFilesInbox } from '../core/app/opened-files.js';
import { claimSingleInstance } from './single-instance.js';
import { denyPermissions, guardWebContents } from './web-contents-guard.js';

/*
 * The Electron main process: wiring only. Each module beside this one does one job and takes what it
 * needs as arguments; the transfer engine runs in a utility process (engine-process.ts) and everything
 * with behaviour worth testing lives in main/core/, which never imports Electron.
 *
 * Built layout (`npm run build:app`, scripts/build-app.ts; the packaged app's `main` is dist/electron/main.js):
 *   dist/electron/main.js         this file
 *   dist/electron/engine-host.js  engine-host-entry.ts, the utility process
 *   dist/electron/preload.cjs     preload/index.ts as one CommonJS file: a sandboxed preload can load
 *                                 neither ES modules nor anything from disk but 'electron'
 *   dist/renderer/                the renderer (vite build)
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.resolve(here, '../renderer');
const PRELOAD_PATH = path.join(here, 'preload.cjs');
const ENGINE_HOST_PATH = path.join(here, 'engine-host.js');

const log = (line: string) => console.warn(`slipstream: ${line}`);
const fail = (what: string) => (error: unknown) => {
  console.error(`Slipstream ${what}:`, error);
  app.exit(1);
};

const origin = rendererOrigin(developmentRendererUrl(process.env['SLIPSTREAM_RENDERER_URL'], app.isPackaged));
let window: BrowserWindow | undefined;
const inbox = new OpenedFilesInbox((paths) => pushAppEvent(window, 'filesOpened', { paths }, log));
/** What the person chose (dialogs, drops, files opened with the app): the renderer may send only these. */
const grants = new PathGrants(log);
/** Files handed to the app from outside are the person's choice too: granted as they arrive. */
const handedOver = {
  deliver: (paths: readonly string[]) => {
    grants.grant(paths, 'send');
    inbox.deliver(paths);
  },
};
/** Opens the window again (macOS keeps the app running without one); set once the app is ready. */
let reopenWindow: () => void = () => undefined;

function focusWindow(): void {
  if (!window || window.isDestroyed()) return reopenWindow();
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

const isPrimary = claimSingleInstance(app, {
  // Unpackaged, Electron's argv has the app's path after the executable.
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  cwd: process.cwd(),
  inbox: handedOver,
  onSecondLaunch: focusWindow,
});

if (!isPrimary) {
  // The running instance has the files; this one has nothing to do.
  app.quit();
} else {
  registerPrivilegedSchemes(protocol);
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, origin.isTrusted));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Ctrl+C in the terminal that started the app quits it the same way as the menu.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  if (process.platform === 'win32') app.setAppUserModelId('org.slipstream.desktop');
  app.whenReady().then(start).catch(fail('failed to start'));
}

async function start(): Promise<void> {
  denyPermissions(session.defaultSession);
  const policy = contentSecurityPolicy(origin.devServer);
  if (origin.devServer) {
    applyDevelopmentPolicy(session.defaultSession, origin, policy);
  } else {
    protocol.handle(
      APP_SCHEME,
      createRendererHandler(RENDERER_DIR, policy, (url) => net.fetch(url)),
    );
  }

  const dataDir = app.getPath('userData');
  const desktop = createDesktopIntegration({ app, window: () => window, focusWindow });
  const pushEvent = <E extends EventName<AppContract>>(event: E, payload: PayloadOf<AppContract, E>) => {
    desktop.observe(event, payload);
    pushAppEvent(window, event, payload, log);
  };
  const supervisor = new EngineHostSupervisor({
    spawn: () => spawnEngineProcess({ entryPath: ENGINE_HOST_PATH, dataDir, log }),
    platform: hostPlatformHandlers(app, createAppSecretStore(path.join(dataDir, 'secret-store.key'))),
    onEvent: pushEvent,
    onStart: (engine) => grants.attach(engine),
    log,
  });
  supervisor.start();
  // Decrypted media is relayed from the engine's loopback endpoint (media-endpoint.ts), never through IPC.
  protocol.handle(
    MEDIA_SCHEME,
    createMediaRelay(() => supervisor.mediaEndpoint(), fetch, origin.origin),
  );

  const forwarded = forwardingHandlers(() => supervisor.api());
  const dialogs = dialogHandlers(() => window);
  // What the dialogs return was chosen by the person: granted before the page can ask to use it.
  const chooseFiles: typeof dialogs.chooseFiles = async (request) => {
    const chosen = await dialogs.chooseFiles(request);
    grants.grant(chosen.paths, 'send');
    return chosen;
  };
  const chooseFolder: typeof dialogs.chooseFolder = async (request) => {
    const chosen = await dialogs.chooseFolder(request);
    // The folder dialog chooses where received files go (Settings).
    if (chosen.path !== null) grants.grant([chosen.path], 'save');
    return chosen;
  };
  serveAppContract(
    ipcMain,
    { ...forwarded, chooseFiles, chooseFolder, takeOpenedFiles: () => ({ paths: inbox.take() }) },
    { isTrustedFrame: origin.isTrustedFrame, log },
  );
  listenForDroppedPaths(ipcMain, origin.isTrustedFrame, (path) => grants.grant([path], 'send'), log);
  // Transfers that make no progress at start (queued, paused) send no update, but belong on the bar.
  void (async () => desktop.seed(await forwarded.listTransfers(undefined)))().catch((error: unknown) =>
    log(`could not list the transfers for the taskbar: ${(error as Error).message}`),
  );

  installApplicationMenu({
    appName: app.getName(),
    platform: process.platform,
    developer: !app.isPackaged,
    onSendFiles: () =>
      void dialogs.chooseFiles(undefined).then(
        ({ paths }) => handedOver.deliver(paths),
        (error: unknown) => log(`the file dialog failed: ${(error as Error).message}`),
      ),
    onShowDataFolder: () => void shell.openPath(dataDir),
  });

  const windowState = new WindowStateFile(path.join(dataDir, 'window-state.json'), log);
  const recorder = new WindowStateRecorder(windowState, log);
  quitGracefully(app, () => Promise.all([recorder.flush(), supervisor.stop()]), log);

  const openWindow = async () => {
    const primary = screen.getPrimaryDisplay();
    const others = screen.getAllDisplays().filter((display) => display.id !== primary.id);
    const displays = [primary, ...others].map((display) => display.workArea);
    const opened = createRendererWindow({
      preloadPath: PRELOAD_PATH,
      url: origin.entryUrl,
      placement: placeWindow(await windowState.load(), displays),
      onLoadFailed: fail('could not load its window'),
    });
    window = opened;
    rememberWindowState(opened, recorder);
    // A reloading page listens for nothing until it takes the waiting files again.
    opened.webContents.on('did-start-loading', () => inbox.stopListening());
    opened.on('closed', () => {
      inbox.stopListening();
      if (window === opened) window = undefined;
    });
    desktop.redraw();
  };
  let opening: Promise<void> | undefined;
  reopenWindow = () => {
    opening ??= openWindow()
      .catch(fail('could not open its window'))
      .finally(() => (opening = undefined));
  };
  reopenWindow();
  // macOS: the dock icon clicked while no window is open.
  app.on('activate', () => (window ? undefined : reopenWindow()));
}
