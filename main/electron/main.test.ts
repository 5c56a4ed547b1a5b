import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ContractHandlers, Envelope } from '../../shared/ipc/contract-kit.js';
import { type ServedContract, serveContract } from '../../shared/ipc/message-link.js';
import { appContract } from '../../shared/ipc-contract.js';
import { channelSamples, eventSamples } from '../../tests/support/contract-samples.js';
import { type EngineHostContract, engineHostContract } from '../core/engine-host/engine-host-contract.js';
import { SLIPSTREAM_NODE_FLAGS } from '../core/node-flags.js';
import { messagePortLink } from './engine-port.js';
import { SampleHandlers } from './testing/sample-handlers.js';
import {
  fake,
  fakeElectron,
  FakeBrowserWindow,
  type FakeMessagePort,
  RENDERER_FRAME,
} from './testing/fake-electron.js';

/*
 * main.ts only wires the modules beside it; this starts it against the fake electron module, with a
 * stand-in engine host on the utility process's port, and checks the wiring end to end: the renderer's
 * calls reach the engine host, its events reach the window, and main's own channels are answered.
 */

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

let engine: ServedContract<EngineHostContract>;
/** The stand-in engine host's answers; its calls show what main forwarded. */
const engineHost = new SampleHandlers();
/** What main granted the stand-in engine host. */
const grants: { paths: string[]; use: string }[] = [];
let window: FakeBrowserWindow;

function invoke(name: keyof typeof appContract.invoke, request: unknown): Promise<Envelope> {
  const handler = fake.mainHandlers.get(appContract.invoke[name].channel)!;
  return handler({ senderFrame: RENDERER_FRAME as never }, request) as Promise<Envelope>;
}

beforeAll(async () => {
  delete process.env['SLIPSTREAM_RENDERER_URL'];
  await import('./main.js');
  await vi.waitFor(() => expect(FakeBrowserWindow.created).toHaveLength(1));
  window = FakeBrowserWindow.created[0]!;
  // The engine host's side of the port main handed the utility process.
  const child = fake.forked[0]!;
  const port = child.postMessage.mock.calls[0]![1]![0] as FakeMessagePort;
  const handlers = {
    ...engineHost.handlers,
    mediaEndpoint: () => ({ url: 'http://127.0.0.1:40000', secret: 'a'.repeat(43) }),
    grantPaths: (grant: { paths: string[]; use: string }) => {
      grants.push(grant);
      return null;
    },
    shutdown: () => null,
  };
  engine = serveContract(
    messagePortLink(port as never),
    engineHostContract,
    handlers as unknown as ContractHandlers<EngineHostContract>,
  );
});

describe('main.ts', () => {
  it('registers the app’s schemes as privileged and serves both', () => {
    expect(fakeElectron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledOnce();
    expect(fakeElectron.protocol.handle.mock.calls.map(([scheme]) => scheme).sort()).toEqual([
      'slipstream-app',
      'slipstream-media',
    ]);
  });

  it('denies permissions and guards every web contents', () => {
    expect(fakeElectron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalledOnce();
    expect(fakeElectron.session.defaultSession.setPermissionCheckHandler).toHaveBeenCalledOnce();
    expect(fakeElectron.app.listenerCount('web-contents-created')).toBe(1);
    expect(fakeElectron.app.listenerCount('before-quit')).toBe(1);
  });

  it('starts the engine host in a utility process with the node flags', () => {
    expect(fake.forked).toHaveLength(1);
    expect(fake.forked[0]!.modulePath).toMatch(/[/\\]engine-host\.js$/);
    expect(fake.forked[0]!.options['execArgv']).toEqual([...SLIPSTREAM_NODE_FLAGS]);
  });

  it('opens the window on the app’s page with the preload', () => {
    expect(window.options.webPreferences?.preload).toMatch(/[/\\]preload\.cjs$/);
    expect(window.loadURL).toHaveBeenCalledWith('slipstream-app://renderer/index.html');
  });

  it('answers every channel of the app contract', () => {
    const channels = Object.values(appContract.invoke).map((spec) => spec.channel);
    expect([...fake.mainHandlers.keys()].sort()).toEqual([...channels].sort());
  });

  it('forwards the renderer’s calls to the engine host and its answers back', async () => {
    expect(await invoke('getSettings', undefined)).toEqual({ ok: true, value: channelSamples.getSettings.response });
    expect(await invoke('pauseTransfer', channelSamples.pauseTransfer.request)).toEqual({ ok: true, value: null });
    expect([...engineHost.calls.keys()]).toEqual(expect.arrayContaining(['getSettings', 'pauseTransfer']));
  });

  it('answers the dialogs and the opened files itself, granting what the person chose to the engine host', async () => {
    fakeElectron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/alice/a.mp4'] });
    expect(await invoke('chooseFiles', undefined)).toEqual({ ok: true, value: { paths: ['/home/alice/a.mp4'] } });
    await vi.waitFor(() => expect(grants).toContainEqual({ paths: ['/home/alice/a.mp4'], use: 'send' }));
    fakeElectron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/alice/Inbox'] });
    expect(await invoke('chooseFolder', undefined)).toEqual({ ok: true, value: { path: '/home/alice/Inbox' } });
    await vi.waitFor(() => expect(grants).toContainEqual({ paths: ['/home/alice/Inbox'], use: 'save' }));
    expect(await invoke('takeOpenedFiles', undefined)).toEqual({ ok: true, value: { paths: [] } });
    expect(engineHost.calls.has('chooseFiles')).toBe(false);
    expect(engineHost.calls.has('takeOpenedFiles')).toBe(false);
  });

  it('pushes the engine host’s events to the window and draws the transfers’ progress', async () => {
    engine.emit('transferUpdated', eventSamples.transferUpdated);
    await vi.waitFor(() =>
      expect(window.webContents.sent).toContainEqual([
        appContract.events.transferUpdated.channel,
        eventSamples.transferUpdated,
      ]),
    );
    expect(window.setProgressBar).toHaveBeenLastCalledWith(0.25, { mode: 'normal' });
    expect(fakeElectron.app.setBadgeCount).toHaveBeenLastCalledWith(1);
  });
});
