import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
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
   * The saved session, or null when there is none. A session that no longer opens (the keychain was
   * reset, the file damaged) is removed and reported: the user signs in again, nothing else is lost.
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
      await rm(this.path, { force: true });
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
