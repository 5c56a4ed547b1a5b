import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useScratchDirectory } from '../../tests/support/transfer.js';
import { createAppSecretStore } from './safe-storage-secret-store.js';
import { fakeElectron } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

const scratch = useScratchDirectory('safe-storage');
const { safeStorage } = fakeElectron;

describe('createAppSecretStore', () => {
  it.runIf(process.platform === 'linux')('seals with the OS keychain when Electron has a real one', async () => {
    const store = createAppSecretStore(path.join(scratch.path, 'secret-store.key'));
    expect(store.description).toContain('gnome_libsecret');
    const sealed = await store.seal('token');
    expect(sealed).toMatch(/^slipstream-safestorage-v1:/);
    expect(safeStorage.encryptString).toHaveBeenCalledWith('token');
    expect(await store.open(sealed)).toBe('token');
    await expect(store.open('slipstream-secret-v1:AAAA')).rejects.toThrow(/not sealed by the OS keychain/);
  });

  it.runIf(process.platform === 'linux')(
    'falls back to the file store, and says so, where Electron’s keychain is only a hard-coded key',
    async () => {
      safeStorage.getSelectedStorageBackend.mockReturnValueOnce('basic_text');
      const keyPath = path.join(scratch.path, 'secret-store.key');
      const store = createAppSecretStore(keyPath);
      expect(store.description).toBe(`no OS keychain (basic_text); AES-256-GCM with a key in ${keyPath} (mode 0600)`);
      safeStorage.encryptString.mockClear();
      const sealed = await store.seal('token');
      expect(sealed).toMatch(/^slipstream-secret-v1:/);
      expect(safeStorage.encryptString).not.toHaveBeenCalled();
      expect(await store.open(sealed)).toBe('token');
    },
  );
});
