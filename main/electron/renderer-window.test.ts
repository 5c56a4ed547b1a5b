import { describe, expect, it, vi } from 'vitest';
import { createRendererWindow, rememberWindowState, rendererWebPreferences } from './renderer-window.js';
import { FakeBrowserWindow } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const open = (maximized = false) =>
  createRendererWindow({
    preloadPath: '/app/dist/electron/preload.cjs',
    url: 'slipstream-app://renderer/index.html',
    placement: { x: 40, y: 50, width: 1000, height: 700, maximized },
    onLoadFailed: () => undefined,
  }) as unknown as FakeBrowserWindow;

describe('the renderer window', () => {
  it('runs the page isolated, sandboxed, without Node, with web security, no webviews, and the preload', () => {
    expect(rendererWebPreferences('/app/dist/electron/preload.cjs')).toStrictEqual({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('is created with those preferences, where it was placed, hidden until its first paint, and loads the app', () => {
    const window = open();
    expect(window.options).toMatchObject({
      x: 40,
      y: 50,
      width: 1000,
      height: 700,
      show: false,
      webPreferences: rendererWebPreferences('/app/dist/electron/preload.cjs'),
    });
    expect(window.options).not.toHaveProperty('maximized');
    expect(window.loadURL).toHaveBeenCalledWith('slipstream-app://renderer/index.html');
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledOnce();
    expect(window.maximize).not.toHaveBeenCalled();
  });

  it('is maximised when it was last time, as it is shown', () => {
    const window = open(true);
    expect(window.maximize).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.maximize).toHaveBeenCalledOnce();
  });

  it('reports a page that fails to load', async () => {
    const onLoadFailed = vi.fn();
    FakeBrowserWindow.loadFailure = new Error('ERR_FILE_NOT_FOUND');
    createRendererWindow({
      preloadPath: '/p.cjs',
      url: 'slipstream-app://renderer/index.html',
      placement: { width: 800, height: 600, maximized: false },
      onLoadFailed,
    });
    FakeBrowserWindow.loadFailure = undefined;
    await vi.waitFor(() => expect(onLoadFailed).toHaveBeenCalledWith(new Error('ERR_FILE_NOT_FOUND')));
  });

  it('records its normal bounds and maximised state whenever they change, and as it closes', () => {
    const window = new FakeBrowserWindow({});
    const record = vi.fn();
    rememberWindowState(window as never, { record });
    window.getNormalBounds.mockReturnValue({ x: 10.4, y: 20, width: 900.6, height: 700 });
    for (const event of ['resize', 'move', 'maximize', 'unmaximize', 'close']) window.emit(event);
    expect(record).toHaveBeenCalledTimes(5);
    expect(record).toHaveBeenLastCalledWith({ bounds: { x: 10, y: 20, width: 901, height: 700 }, maximized: false });
  });
});
