import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeNames } from '../../shared/ipc/contract-kit.js';
import { IpcError } from '../../shared/ipc/ipc-error.js';
import {
  API_GLOBAL_NAME,
  appContract,
  DROPPED_PATH_CHANNEL,
  type ElectronBridgeExtras,
  type SlipstreamApi,
} from '../../shared/ipc-contract.js';
import { channelSamples, eventSamples, malformedEvents } from '../../tests/support/contract-samples.js';
import { listenForDroppedPaths, pushAppEvent, serveAppContract } from './ipc-bridge.js';
import { rendererOrigin } from './renderer-origin.js';
import { fake, fakeElectron, FakeBrowserWindow, RENDERER_FRAME } from './testing/fake-electron.js';
import { SampleHandlers } from './testing/sample-handlers.js';

/*
 * The whole Electron transport: the preload's API (preload/index.ts, as the page sees it) calling
 * through ipcRenderer into the handlers ipc-bridge.ts registers on ipcMain, and events pushed by main
 * reaching the page's listeners. The fake electron module wires ipcRenderer to ipcMain as Electron does.
 */

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

type Bridge = SlipstreamApi & ElectronBridgeExtras;
type Call = (request?: unknown) => Promise<unknown>;

const sample = new SampleHandlers();
const calls = sample.calls;
let api: Bridge;

beforeAll(async () => {
  serveAppContract(fakeElectron.ipcMain, sample.handlers, {
    isTrustedFrame: rendererOrigin().isTrustedFrame,
    log: () => undefined,
  });
  await import('../../preload/index.js');
  api = fake.exposed.get(API_GLOBAL_NAME) as Bridge;
});

beforeEach(() => {
  sample.reset();
  fake.senderFrame = RENDERER_FRAME;
  fakeElectron.ipcRenderer.invoke.mockClear();
});

describe('the preload bridge', () => {
  it(`exposes, as window.${API_GLOBAL_NAME}, one function per contract channel, on, and pathForFile — nothing else`, () => {
    expect(Object.keys(api).sort()).toEqual([...invokeNames(appContract), 'on', 'pathForFile'].sort());
    for (const value of Object.values(api)) expect(value).toBeTypeOf('function');
  });

  it.each(invokeNames(appContract))('carries %s to main’s handler and its answer back', async (name) => {
    const sample = channelSamples[name];
    await expect((api[name] as Call)(sample.request)).resolves.toEqual(sample.response);
    expect(calls.get(name)).toEqual([sample.request]);
    expect(fakeElectron.ipcRenderer.invoke).toHaveBeenCalledWith(appContract.invoke[name].channel, sample.request);
  });

  it.each(invokeNames(appContract))(
    'refuses a malformed %s request before sending it, with the code and a sentence',
    async (name) => {
      const { request, field } = channelSamples[name].malformed;
      const failure = await (api[name] as Call)(request).catch((error: unknown) => error);
      expect(failure).toMatchObject({ name: 'IpcError', code: 'INVALID_REQUEST' });
      expect((failure as { message: string }).message).toContain(`the request on ${appContract.invoke[name].channel}`);
      if (field) expect((failure as { message: string }).message).toContain(`"${field}"`);
      expect(fakeElectron.ipcRenderer.invoke).not.toHaveBeenCalled();
      expect(calls.size).toBe(0);
    },
  );

  it('hands the page a failure as plain data with its code, since contextBridge would keep only an Error’s message', async () => {
    sample.failWith = new IpcError('NOT_SIGNED_IN', 'Sign in to your homeserver before sending or receiving files.');
    await expect(api.listTransfers()).rejects.toEqual({
      name: 'IpcError',
      code: 'NOT_SIGNED_IN',
      message: 'Sign in to your homeserver before sending or receiving files.',
    });
  });

  it('is refused by main when the page is not the app’s own', async () => {
    fake.senderFrame = { url: 'https://evil.example/', parent: null };
    await expect(api.loadSession()).rejects.toMatchObject({ code: 'UNTRUSTED_SENDER' });
    expect(calls.size).toBe(0);
  });

  it.each(Object.keys(eventSamples) as Array<keyof typeof eventSamples>)(
    'delivers %s pushed by main to the page’s listeners until they unsubscribe',
    (event) => {
      const window = new FakeBrowserWindow({});
      const listener = vi.fn();
      const unsubscribe = api.on(event, listener);
      pushAppEvent(window, event, eventSamples[event] as never, () => undefined);
      expect(listener).toHaveBeenCalledExactlyOnceWith(eventSamples[event]);
      unsubscribe();
      pushAppEvent(window, event, eventSamples[event] as never, () => undefined);
      expect(listener).toHaveBeenCalledOnce();
    },
  );

  it('does not deliver an event whose payload breaks the contract', () => {
    const listener = vi.fn();
    const unsubscribe = api.on('transferUpdated', listener);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    new FakeBrowserWindow({}).webContents.send(
      appContract.events.transferUpdated.channel,
      malformedEvents.transferUpdated,
    );
    expect(listener).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalled();
    unsubscribe();
    error.mockRestore();
  });

  it('refuses to listen for an event the contract does not have', () => {
    expect(() => api.on('somethingElse' as 'filesOpened', () => undefined)).toThrow(/no event called somethingElse/);
  });

  it('gives the path of a dropped file and grants it in main; a file not on disk is refused and granted nothing', () => {
    const granted: string[] = [];
    listenForDroppedPaths(
      fakeElectron.ipcMain,
      rendererOrigin().isTrustedFrame,
      (path) => granted.push(path),
      () => undefined,
    );
    const file = { name: 'dropped.mkv' };
    expect(api.pathForFile(file)).toBe('/home/alice/dropped.mkv');
    expect(fakeElectron.webUtils.getPathForFile).toHaveBeenCalledWith(file);
    expect(granted).toEqual(['/home/alice/dropped.mkv']);
    fakeElectron.webUtils.getPathForFile.mockReturnValueOnce('');
    expect(() => api.pathForFile({ name: 'made-by-the-page.txt' })).toThrow(/not a file on this computer/);
    expect(granted).toEqual(['/home/alice/dropped.mkv']);
    // The private channel takes nothing from a frame that is not the app's page.
    fake.senderFrame = { url: 'https://attacker.example/', parent: null };
    fakeElectron.ipcRenderer.send(DROPPED_PATH_CHANNEL, '/home/alice/.ssh/id_ed25519');
    expect(granted).toEqual(['/home/alice/dropped.mkv']);
  });
});
