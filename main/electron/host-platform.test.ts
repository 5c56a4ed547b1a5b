import { describe, expect, it, vi } from 'vitest';
import { IpcError } from '../../shared/ipc/ipc-error.js';
import { hostPlatformHandlers } from './host-platform.js';
import { fakeElectron } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const secrets = {
  description: 'the OS keychain through Electron safeStorage (gnome_libsecret)',
  seal: vi.fn(async (secret: string) => `sealed:${secret}`),
  open: vi.fn(async (sealed: string) => {
    if (!sealed.startsWith('sealed:')) throw new Error('the secret was not sealed by the OS keychain store');
    return sealed.slice('sealed:'.length);
  }),
};
const handlers = hostPlatformHandlers(fakeElectron.app, secrets);

describe('hostPlatformHandlers', () => {
  it('tells the engine host the app’s version, Electron’s, the Downloads folder and how secrets are kept', async () => {
    const info = await handlers.platformInfo(undefined);
    expect(info).toMatchObject({
      appVersion: '0.1.0',
      downloadsFolder: '/home/alice/Downloads',
      secretStorage: 'the OS keychain through Electron safeStorage (gnome_libsecret)',
    });
  });

  it('seals and opens secrets with the app’s secret store', async () => {
    expect(await handlers.sealSecret({ secret: 'token' })).toEqual({ sealed: 'sealed:token' });
    expect(await handlers.openSecret({ sealed: 'sealed:token' })).toEqual({ secret: 'token' });
  });

  it('says in a sentence when a secret cannot be opened', async () => {
    const failure = await Promise.resolve(handlers.openSecret({ sealed: 'garbage' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IpcError);
    expect(failure).toMatchObject({ code: 'SECRET_UNREADABLE', message: expect.stringContaining('sign in again') });
  });

  it('shows a file in its folder through the shell', async () => {
    expect(await handlers.showItemInFolder({ path: '/home/alice/Downloads/film.mp4' })).toBeNull();
    expect(fakeElectron.shell.showItemInFolder).toHaveBeenCalledWith('/home/alice/Downloads/film.mp4');
  });

  it('opens a file with the system’s app, and turns the shell’s failure text into OPEN_FAILED with a sentence', async () => {
    expect(await handlers.openPath({ path: '/home/alice/Downloads/film.mp4' })).toBeNull();
    fakeElectron.shell.openPath.mockResolvedValueOnce('No application is registered as handling this file');
    const failure = await Promise.resolve(handlers.openPath({ path: '/home/alice/Downloads/scene.glb' })).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(IpcError);
    expect(failure).toMatchObject({
      code: 'OPEN_FAILED',
      message:
        'The system could not open scene.glb: No application is registered as handling this file. Try showing it in its folder instead.',
    });
  });
});
