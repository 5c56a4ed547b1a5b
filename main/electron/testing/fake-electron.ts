import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent } from 'electron';
import { vi } from 'vitest';

/*
 * A stand-in for the `electron` module in main/electron's and preload's unit tests, where Electron's
 * binary cannot be installed. Each test file mocks 'electron' with `fakeElectron`:
 *
 *   vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);
 *
 * and reads what the code under test did through `fake` (the same module instance: vitest gives each
 * test file its own module registry). The pieces that talk to each other are wired as in Electron:
 * ipcRenderer.invoke reaches ipcMain.handle's handler, webContents.send reaches ipcRenderer.on, and a
 * MessageChannelMain's ports deliver to each other.
 */

type Handler = (event: Partial<IpcMainInvokeEvent>, ...args: unknown[]) => unknown;

/** What the frame calling ipcRenderer.invoke looks like to main: the renderer's page unless a test says otherwise. */
export const RENDERER_FRAME = { url: 'slipstream-app://renderer/index.html', parent: null };

export class FakeWebContents extends EventEmitter {
  readonly sent: Array<[channel: string, payload: unknown]> = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  send = vi.fn((channel: string, payload: unknown) => {
    this.sent.push([channel, payload]);
    for (const listener of fake.rendererListeners.get(channel) ?? []) listener({}, payload);
  });
  setWindowOpenHandler = vi.fn((handler: (details: { url: string }) => { action: string }) => {
    this.windowOpenHandler = handler;
  });
  isDestroyed = vi.fn(() => false);
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly created: FakeBrowserWindow[] = [];
  /** What the next window's loadURL fails with, if anything. */
  static loadFailure: Error | undefined;
  readonly webContents = new FakeWebContents();
  loadURL = vi.fn(async (_url: string) => {
    if (FakeBrowserWindow.loadFailure) throw FakeBrowserWindow.loadFailure;
  });
  show = vi.fn();
  maximize = vi.fn();
  isMaximized = vi.fn(() => false);
  getNormalBounds = vi.fn(() => ({ x: 10, y: 20, width: 900, height: 700 }));
  setProgressBar = vi.fn();
  isDestroyed = vi.fn(() => false);

  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeBrowserWindow.created.push(this);
  }
}

/** One end of a fake MessageChannelMain: posts to its peer a task later, once the peer is started. */
export class FakeMessagePort extends EventEmitter {
  peer: FakeMessagePort | undefined;
  started = false;
  closed = false;
  private readonly queue: Array<{ data: unknown; ports: FakeMessagePort[] }> = [];

  postMessage(data: unknown, ports: FakeMessagePort[] = []): void {
    if (this.closed || !this.peer) return;
    // Structured clone, as a MessagePortMain does: the receiver never shares the sender's objects.
    this.peer.receive({ data: structuredClone(data), ports });
  }
  start(): void {
    this.started = true;
    this.drain();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
    if (this.peer && !this.peer.closed) this.peer.close();
  }
  private receive(event: { data: unknown; ports: FakeMessagePort[] }): void {
    this.queue.push(event);
    this.drain();
  }
  private drain(): void {
    if (!this.started) return;
    setImmediate(() => {
      for (const event of this.queue.splice(0)) this.emit('message', event);
    });
  }
}

export class FakeMessageChannelMain {
  readonly port1 = new FakeMessagePort();
  readonly port2 = new FakeMessagePort();
  constructor() {
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
  }
}

export class FakeUtilityProcess extends EventEmitter {
  postMessage = vi.fn((_message: unknown, _transfer?: FakeMessagePort[]) => undefined);
  kill = vi.fn(() => true);
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
  }
}

export class FakeNotification extends EventEmitter {
  static readonly shown: FakeNotification[] = [];
  static isSupported = vi.fn(() => true);
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show = vi.fn(() => void FakeNotification.shown.push(this));
}

export const fake = {
  /** ipcMain.handle's handlers, by channel. */
  mainHandlers: new Map<string, Handler>(),
  /** ipcMain.on's listeners, by channel (what ipcRenderer.send reaches). */
  mainListeners: new Map<string, Array<(event: unknown, ...args: unknown[]) => void>>(),
  /** ipcRenderer.on's listeners, by channel. */
  rendererListeners: new Map<string, Array<(event: unknown, payload: unknown) => void>>(),
  /** contextBridge.exposeInMainWorld's APIs, by global name. */
  exposed: new Map<string, unknown>(),
  /** The frame main sees as the caller of the next ipcRenderer.invoke. */
  senderFrame: RENDERER_FRAME as { url: string; parent: unknown } | null,
  forked: [] as FakeUtilityProcess[],
};

const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  whenReady: vi.fn(() => Promise.resolve()),
  setAppUserModelId: vi.fn(),
  getVersion: vi.fn(() => '0.1.0'),
  getName: vi.fn(() => 'Slipstream'),
  getPath: vi.fn((name: string) => `/home/alice/${name === 'downloads' ? 'Downloads' : '.config/Slipstream'}`),
  setBadgeCount: vi.fn(() => true),
  quit: vi.fn(),
  requestSingleInstanceLock: vi.fn((_additionalData?: Record<string, unknown>) => true),
});

export const fakeElectron = {
  app,
  ipcMain: {
    handle: vi.fn((channel: string, handler: Handler) => {
      // Electron refuses a second handler for a channel.
      if (fake.mainHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      fake.mainHandlers.set(channel, handler);
    }),
    removeHandler: vi.fn((channel: string) => void fake.mainHandlers.delete(channel)),
    on: vi.fn((channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
      fake.mainListeners.set(channel, [...(fake.mainListeners.get(channel) ?? []), listener]);
    }),
  },
  ipcRenderer: {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => {
      const handler = fake.mainHandlers.get(channel);
      if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
      // Arguments cross by structured clone, as Electron's IPC does.
      return structuredClone(await handler({ senderFrame: fake.senderFrame as never }, ...structuredClone(args)));
    }),
    on: vi.fn((channel: string, listener: (event: unknown, payload: unknown) => void) => {
      fake.rendererListeners.set(channel, [...(fake.rendererListeners.get(channel) ?? []), listener]);
    }),
    /** Fire and forget, as Electron's: each of main's ipcMain.on listeners gets a clone. */
    send: vi.fn((channel: string, ...args: unknown[]) => {
      for (const listener of fake.mainListeners.get(channel) ?? []) {
        listener({ senderFrame: fake.senderFrame as never }, ...structuredClone(args));
      }
    }),
  },
  contextBridge: { exposeInMainWorld: vi.fn((name: string, api: unknown) => void fake.exposed.set(name, api)) },
  webUtils: { getPathForFile: vi.fn((_file: unknown) => '/home/alice/dropped.mkv') },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  BrowserWindow: FakeBrowserWindow,
  MessageChannelMain: FakeMessageChannelMain,
  utilityProcess: {
    fork: vi.fn((modulePath: string, args: string[] = [], options: Record<string, unknown> = {}) => {
      const child = new FakeUtilityProcess(modulePath, args, options);
      fake.forked.push(child);
      return child;
    }),
  },
  dialog: { showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: true, filePaths: [] as string[] })) },
  shell: { showItemInFolder: vi.fn(), openPath: vi.fn(async (_path: string) => '') },
  Notification: FakeNotification,
  Menu: { buildFromTemplate: vi.fn((template: unknown) => ({ template })), setApplicationMenu: vi.fn() },
  safeStorage: {
    isEncryptionAvailable: vi.fn(() => true),
    getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
    encryptString: vi.fn((text: string) => Buffer.from(`keychain(${text})`)),
    decryptString: vi.fn((sealed: Buffer) => sealed.toString().replace(/^keychain\((.*)\)$/s, '$1')),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
      webRequest: { onHeadersReceived: vi.fn() },
    },
  },
  screen: {
    getPrimaryDisplay: vi.fn(() => ({ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1050 } })),
    getAllDisplays: vi.fn(() => [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1050 } }]),
  },
  net: { fetch: vi.fn(async (_url: string) => new Response('')) },
};
