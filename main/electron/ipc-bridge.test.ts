import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeNames, type Envelope } from '../../shared/ipc/contract-kit.js';
import { IpcError } from '../../shared/ipc/ipc-error.js';
import { appContract } from '../../shared/ipc-contract.js';
import { channelSamples, eventSamples, malformedEvents } from '../../tests/support/contract-samples.js';
import { pushAppEvent, serveAppContract } from './ipc-bridge.js';
import { rendererOrigin } from './renderer-origin.js';
import { fake, fakeElectron, FakeBrowserWindow, RENDERER_FRAME } from './testing/fake-electron.js';
import { SampleHandlers } from './testing/sample-handlers.js';

const sample = new SampleHandlers();
const calls = sample.calls;
const log = vi.fn();

/** Calls the handler registered for a channel as ipcMain would, from `frame`. */
function invoke(
  name: keyof typeof appContract.invoke,
  request: unknown,
  frame: unknown = RENDERER_FRAME,
): Promise<Envelope> {
  const handler = fake.mainHandlers.get(appContract.invoke[name].channel);
  if (!handler) throw new Error(`no handler for ${name}`);
  return handler({ senderFrame: frame as never }, request) as Promise<Envelope>;
}

let stop: () => void;
beforeEach(() => {
  sample.reset();
  log.mockClear();
  stop = serveAppContract(fakeElectron.ipcMain, sample.handlers, {
    isTrustedFrame: rendererOrigin().isTrustedFrame,
    log,
  });
  return () => stop();
});

describe('serveAppContract', () => {
  it('registers exactly one ipcMain handler per channel of the app contract, and removes them again', () => {
    const channels = Object.values(appContract.invoke).map((spec) => spec.channel);
    expect([...fake.mainHandlers.keys()].sort()).toEqual([...channels].sort());
    stop();
    expect(fake.mainHandlers.size).toBe(0);
    stop = () => undefined;
  });

  it.each(invokeNames(appContract))('answers %s from the renderer with what its handler returns', async (name) => {
    const sample = channelSamples[name];
    expect(await invoke(name, sample.request)).toEqual({ ok: true, value: sample.response });
    expect(calls.get(name)).toEqual([sample.request]);
  });

  it.each([
    ['another origin', { url: 'https://evil.example/page', parent: null }],
    ['a frame inside the app’s page', { url: 'slipstream-app://renderer/index.html', parent: RENDERER_FRAME }],
    ['a file page', { url: 'file:///home/alice/page.html', parent: null }],
    ['another host on the app’s scheme', { url: 'slipstream-app://elsewhere/index.html', parent: null }],
    ['a frame that is gone', null],
  ])('refuses a call from %s without running the handler', async (_what, frame) => {
    const envelope = await invoke('loadSession', undefined, frame);
    expect(envelope).toEqual({
      ok: false,
      error: { code: 'UNTRUSTED_SENDER', message: 'Only the Slipstream window may use this; the call was refused.' },
    });
    expect(calls.size).toBe(0);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('refused slipstream:session-load'));
  });

  it.each(invokeNames(appContract))(
    'refuses a malformed request on %s with INVALID_REQUEST and a sentence naming the field; the handler never runs',
    async (name) => {
      const { request, field } = channelSamples[name].malformed;
      const envelope = await invoke(name, request);
      expect(envelope.ok).toBe(false);
      const { error } = envelope as Extract<Envelope, { ok: false }>;
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain(`the request on ${appContract.invoke[name].channel} is not valid`);
      if (field) expect(error.message).toContain(`"${field}"`);
      expect(calls.has(name)).toBe(false);
    },
  );

  it('passes a handler’s own failure on as its code and sentence', async () => {
    sample.failWith = new IpcError('NOT_SIGNED_IN', 'Sign in to your homeserver before sending or receiving files.');
    expect(await invoke('pauseTransfer', { id: 'Qb3k2m9x1LpZ' })).toEqual({
      ok: false,
      error: { code: 'NOT_SIGNED_IN', message: 'Sign in to your homeserver before sending or receiving files.' },
    });
  });

  it('turns an unexpected error into INTERNAL with one sentence, keeping the stack in the log only', async () => {
    sample.failWith = new Error('cannot read properties of undefined\n    at secret (/home/alice/app.js:1:1)');
    const envelope = (await invoke('listTransfers', undefined)) as Extract<Envelope, { ok: false }>;
    expect(envelope.error.code).toBe('INTERNAL');
    expect(envelope.error.message).not.toMatch(/\n|app\.js/);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('app.js'));
  });
});

describe('pushAppEvent', () => {
  const events = Object.keys(eventSamples) as Array<keyof typeof eventSamples>;

  it.each(events)('sends %s to the window on its channel', (event) => {
    const window = new FakeBrowserWindow({});
    pushAppEvent(window, event, eventSamples[event] as never, log);
    expect(window.webContents.sent).toEqual([[appContract.events[event].channel, eventSamples[event]]]);
  });

  it.each(events)('does not send a %s payload that breaks the contract, and says so', (event) => {
    const window = new FakeBrowserWindow({});
    pushAppEvent(window, event, malformedEvents[event] as never, log);
    expect(window.webContents.sent).toEqual([]);
    expect(log).toHaveBeenCalledWith(expect.stringContaining(`did not push ${event}`));
  });

  it('drops events while there is no window, or once it is destroyed', () => {
    expect(() => pushAppEvent(undefined, 'filesOpened', eventSamples.filesOpened, log)).not.toThrow();
    const window = new FakeBrowserWindow({});
    window.isDestroyed.mockReturnValue(true);
    pushAppEvent(window, 'filesOpened', eventSamples.filesOpened, log);
    expect(window.webContents.sent).toEqual([]);
  });
});
