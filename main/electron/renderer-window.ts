import { BrowserWindow, type WebPreferences } from 'electron';
import { MINIMUM_WINDOW_SIZE, type WindowPlacement, type WindowStateRecorder } from '../core/app/window-state.js';

/**
 * The renderer runs as an untrusted web page: isolated from the preload, sandboxed, without Node, with
 * the web's same-origin rules. Its only way out is the API the preload exposes.
 */
export function rendererWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    // A file dropped outside the drop zone must not replace the app with the file.
    navigateOnDragDrop: false,
  };
}

export interface RendererWindowOptions {
  readonly preloadPath: string;
  readonly url: string;
  readonly placement: WindowPlacement;
  readonly onLoadFailed: (error: unknown) => void;
}

/** The app's window, where it was last time (window-state.ts), shown once its first paint is ready. */
export function createRendererWindow({
  preloadPath,
  url,
  placement,
  onLoadFailed,
}: RendererWindowOptions): BrowserWindow {
  const { maximized, ...bounds } = placement;
  const window = new BrowserWindow({
    ...bounds,
    minWidth: MINIMUM_WINDOW_SIZE.width,
    minHeight: MINIMUM_WINDOW_SIZE.height,
    title: 'Slipstream',
    show: false,
    webPreferences: rendererWebPreferences(preloadPath),
  });
  window.once('ready-to-show', () => {
    // Maximising an unshown window shows it on some platforms before its first paint.
    if (maximized) window.maximize();
    window.show();
  });
  window.loadURL(url).catch(onLoadFailed);
  return window;
}

/** Records the window's bounds whenever they change, for the next start. */
export function rememberWindowState(
  window: Pick<BrowserWindow, 'on' | 'getNormalBounds' | 'isMaximized'>,
  recorder: Pick<WindowStateRecorder, 'record'>,
): void {
  const record = () => {
    const { x, y, width, height } = window.getNormalBounds();
    const bounds = { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) };
    recorder.record({ bounds, maximized: window.isMaximized() });
  };
  window.on('resize', record);
  window.on('move', record);
  window.on('maximize', record);
  window.on('unmaximize', record);
  // The last chance: after 'close' the window's bounds can no longer be read.
  window.on('close', record);
}
