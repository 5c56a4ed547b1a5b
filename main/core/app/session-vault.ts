import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type StoredSession, storedSessionSchema } from '../../../shared/ipc-contract.js';
import { writeFileAtomic } from '../state/durable-file.js';
import type { SecretStore } from '../state/secret-store.js';

/**
 * The signed-in Matrix session (homeserver, user, device, access token), sealed by the secret store
 * (the OS keychain in the desktop app) into one file of the app's data directory. The token is never
 * written in the clear and never reaches the renderer's storage (localStorage, IndexedDB).
 */
export class SessionVault {
  constructor(
    private readonly path: string,
    private readonly secrets: SecretStore,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /**
   * The saved session, or null when there is none or it cannot be opened now (the keychain was reset or
   * refused, the file is damaged): reported, and the person signs in again. The file stays as it is —
   * a keychain that refuses once may answer next time — until a new sign-in replaces it.
   */
  async load(): Promise<StoredSession | null> {
    let sealed: string;
    try {
      sealed = (await readFile(this.path, 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return storedSessionSchema.parse(JSON.parse(await this.secrets.open(sealed)));
    } catch (error) {
      this.log(`the saved session cannot be read (${(error as Error).message}); signing in again will replace it`);
      return null;
    }
  }

  async save(session: StoredSession): Promise<void> {
    const sealed = await this.secrets.seal(JSON.stringify(storedSessionSchema.parse(session)));
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${sealed}\n`);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
