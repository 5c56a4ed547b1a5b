import { safeStorage } from 'electron';
import { FileSecretStore, type SecretStore } from '../core/state/secret-store.js';

const FORMAT = 'slipstream-safestorage-v1';

/**
 * Transfer keys sealed by the operating system's keychain through Electron's `safeStorage`
 * (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux). On a Linux desktop without a
 * keyring Electron falls back to a hard-coded key ("basic_text"), which protects nothing; the app then
 * uses the documented file store instead, and says so in its description.
 */
export function createAppSecretStore(fallbackKeyPath: string): SecretStore {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
  if (!safeStorage.isEncryptionAvailable() || backend === 'basic_text' || backend === 'unknown') {
    const fallback = new FileSecretStore(fallbackKeyPath);
    return {
      description: `no OS keychain (${backend}); ${fallback.description}`,
      seal: (secret) => fallback.seal(secret),
      open: (sealed) => fallback.open(sealed),
    };
  }
  return {
    description: `the OS keychain through Electron safeStorage (${backend})`,
    seal: async (secret) => `${FORMAT}:${safeStorage.encryptString(secret).toString('base64')}`,
    open: async (sealed) => {
      if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('the secret was not sealed by the OS keychain store');
      return safeStorage.decryptString(Buffer.from(sealed.slice(FORMAT.length + 1), 'base64'));
    },
  };
}
