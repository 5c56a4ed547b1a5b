import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Where a transfer's key material goes at rest. The app injects Electron's `safeStorage` (the OS
 * keychain: Keychain, DPAPI, libsecret); the CLI and the tests use FileSecretStore. Secrets are
 * strings (the JSON of a `file` block); sealed secrets are strings too, so they sit in JSON records.
 */
export interface SecretStore {
  /** How secrets are protected, for the user and the logs. */
  readonly description: string;
  seal(secret: string): Promise<string>;
  /** Throws when the sealed text was not made by this store or was altered. */
  open(sealed: string): Promise<string>;
}

const FORMAT = 'slipstream-secret-v1';

/**
 * The documented fallback where no OS keychain is available: AES-256-GCM under a random key kept in a
 * file readable only by its owner (mode 0600). This keeps keys out of the transfer records, their
 * backups and logs; it does not protect them from someone who can read the user's files, which an OS
 * keychain does. docs/ARCHITECTURE.md says which store each front end uses.
 */
export class FileSecretStore implements SecretStore {
  readonly description: string;
  private key: Promise<Buffer> | undefined;

  constructor(private readonly keyPath: string) {
    this.description = `AES-256-GCM with a key in ${keyPath} (mode 0600)`;
  }

  async seal(secret: string): Promise<string> {
    const key = await this.loadKey();
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(FORMAT));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  async open(sealed: string): Promise<string> {
    if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('the secret was not sealed by this store');
    const bytes = Buffer.from(sealed.slice(FORMAT.length + 1), 'base64');
    if (bytes.length < 28) throw new Error('the sealed secret is too short');
    const key = await this.loadKey();
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(FORMAT));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        `the sealed secret does not open with the key in ${this.keyPath}: it was altered or the key changed`,
      );
    }
  }

  private loadKey(): Promise<Buffer> {
    this.key ??= this.readOrCreateKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async readOrCreateKey(): Promise<Buffer> {
    try {
      const key = await readFile(this.keyPath);
      if (key.length !== 32) throw new Error(`the secret store key ${this.keyPath} is damaged (not 32 bytes)`);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await mkdir(dirname(this.keyPath), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    const temporary = `${this.keyPath}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link() never replaces an existing file: when two processes start at once, the first key
      // written wins and the other reads it, so nothing sealed under either is ever orphaned.
      await link(temporary, this.keyPath);
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return await this.readOrCreateKey();
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }
}
