import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSecretStore } from '../state/secret-store.js';
import { SessionVault } from './session-vault.js';

const session = {
  homeserverUrl: 'https://matrix.example.org',
  userId: '@alice:example.org',
  deviceId: 'ABCDEF',
  accessToken: 'syt_very_secret_token',
};

describe('the session vault', () => {
  let directory: string;
  beforeEach(async () => (directory = await mkdtemp(join(tmpdir(), 'slipstream-vault-'))));
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('keeps the session sealed: the token never appears in the file', async () => {
    const path = join(directory, 'session.sealed');
    const vault = new SessionVault(path, new FileSecretStore(join(directory, 'key')));
    expect(await vault.load()).toBeNull();
    await vault.save(session);
    const onDisk = await readFile(path, 'utf8');
    expect(onDisk).not.toContain('syt_very_secret_token');
    expect(onDisk).not.toContain('@alice');
    expect(await new SessionVault(path, new FileSecretStore(join(directory, 'key'))).load()).toEqual(session);
    await vault.clear();
    expect(await vault.load()).toBeNull();
  });

  it('treats a session that does not open as signed out and says why, keeping the file for a later try', async () => {
    const path = join(directory, 'session.sealed');
    await new SessionVault(path, new FileSecretStore(join(directory, 'key'))).save(session);
    const lines: string[] = [];
    // Another key: as when the OS keychain was reset, or refused this once.
    const vault = new SessionVault(path, new FileSecretStore(join(directory, 'other-key')), (line) => lines.push(line));
    expect(await vault.load()).toBeNull();
    expect(lines.join()).toContain('cannot be read');
    // The keychain answering again later still finds the session.
    expect(await new SessionVault(path, new FileSecretStore(join(directory, 'key'))).load()).toEqual(session);
  });

  it('refuses to keep a session that is not one', async () => {
    const vault = new SessionVault(join(directory, 's'), new FileSecretStore(join(directory, 'key')));
    await expect(vault.save({ ...session, userId: 'alice' })).rejects.toThrow();
    await writeFile(join(directory, 's'), 'garbage');
    expect(await vault.load()).toBeNull();
  });
});
