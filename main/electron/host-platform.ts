import path from 'node:path';
import { type App, shell } from 'electron';
import type { HostPlatformHandlers } from '../core/engine-host/engine-host-contract.js';
import type { SecretStore } from '../core/state/secret-store.js';
import { IpcError } from '../../shared/ipc/ipc-error.js';

/**
 * What main does for the engine's utility process, which has neither the OS keychain nor the shell:
 * the hostPlatformContract's handlers. The engine host names only files it saved or sent
 * (engine-host-contract.ts), so no path reaches the shell straight from the renderer.
 */
export function hostPlatformHandlers(
  app: Pick<App, 'getVersion' | 'getPath'>,
  secrets: SecretStore,
): HostPlatformHandlers {
  return {
    platformInfo: () => ({
      appVersion: app.getVersion(),
      electron: process.versions.electron,
      chrome: process.versions.chrome,
      downloadsFolder: app.getPath('downloads'),
      secretStorage: secrets.description,
    }),
    sealSecret: async ({ secret }) => ({ sealed: await secrets.seal(secret) }),
    openSecret: async ({ sealed }) => {
      try {
        return { secret: await secrets.open(sealed) };
      } catch (error) {
        throw new IpcError(
          'SECRET_UNREADABLE',
          `A saved secret could not be unlocked with ${secrets.description} (${(error as Error).message}); sign in again or start the transfer again.`,
        );
      }
    },
    showItemInFolder: ({ path: file }) => {
      shell.showItemInFolder(file);
      return null;
    },
    openPath: async ({ path: file }) => {
      // shell.openPath answers with the system's reason as text, empty when the file opened.
      const failure = await shell.openPath(file);
      if (failure) {
        throw new IpcError(
          'OPEN_FAILED',
          `The system could not open ${path.basename(file)}: ${failure}. Try showing it in its folder instead.`,
        );
      }
      return null;
    },
  };
}
