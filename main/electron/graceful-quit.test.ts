import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { quitGracefully } from './graceful-quit.js';

function fakeApp() {
  const app = Object.assign(new EventEmitter(), { quit: vi.fn() });
  const quit = () => {
    const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
    app.emit('before-quit', event);
    return !event.defaultPrevented;
  };
  return { app, quit };
}

describe('quitGracefully', () => {
  it('holds the quit until the engine has stopped, then quits for real', async () => {
    const { app, quit } = fakeApp();
    let stopped: () => void = () => undefined;
    const beforeQuit = vi.fn(() => new Promise<void>((resolve) => (stopped = resolve)));
    quitGracefully(app as never, beforeQuit, vi.fn());
    expect(quit()).toBe(false);
    expect(beforeQuit).toHaveBeenCalledOnce();
    expect(app.quit).not.toHaveBeenCalled();
    stopped();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledOnce());
    expect(quit()).toBe(true);
  });

  it('stops once however many times quitting is asked for meanwhile', async () => {
    const { app, quit } = fakeApp();
    const beforeQuit = vi.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 10)));
    quitGracefully(app as never, beforeQuit, vi.fn());
    expect(quit()).toBe(false);
    expect(quit()).toBe(false);
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledOnce());
    expect(beforeQuit).toHaveBeenCalledOnce();
  });

  it('still quits when the stop fails, and says so', async () => {
    const { app, quit } = fakeApp();
    const log = vi.fn();
    quitGracefully(app as never, () => Promise.reject(new Error('engine did not answer')), log);
    quit();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledOnce());
    expect(log).toHaveBeenCalledWith(expect.stringContaining('engine did not answer'));
  });
});
