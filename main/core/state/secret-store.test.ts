import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { FileSecretStore } from './secret-store.js';

const scratch = useScratchDirectory('secrets');

describe('FileSecretStore', () => {
  it('seals so that the secret does not appear, and opens it again, also from a new instance', async () => {
    const keyPath = join(scratch.path, 'state', 'secret-store.key');
    const sealed = await new FileSecretStore(keyPath).seal('{"k":"super secret key"}');
    expect(sealed).not.toContain('super secret');
    expect(await new FileSecretStore(keyPath).open(sealed)).toBe('{"k":"super secret key"}');
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
  });

  it('refuses altered sealed text and text sealed under another key', async () => {
    const store = new FileSecretStore(join(scratch.path, 'a.key'));
    const sealed = await store.seal('secret');
    const body = Buffer.from(sealed.split(':')[1]!, 'base64');
    body[14] = body[14]! ^ 1;
    await expect(store.open(`slipstream-secret-v1:${body.toString('base64')}`)).rejects.toThrow(
      /altered or the key changed/,
    );
    await expect(new FileSecretStore(join(scratch.path, 'b.key')).open(sealed)).rejects.toThrow(
      /altered or the key changed/,
    );
    await expect(store.open('plain text')).rejects.toThrow(/not sealed by this store/);
  });

  it('two stores starting at once agree on one key', async () => {
    const keyPath = join(scratch.path, 'race.key');
    const [one, two] = [new FileSecretStore(keyPath), new FileSecretStore(keyPath)];
    const [sealedByOne, sealedByTwo] = await Promise.all([one.seal('1'), two.seal('2')]);
    expect(await two.open(sealedByOne)).toBe('1');
    expect(await one.open(sealedByTwo)).toBe('2');
  });

  it('reports a damaged key file instead of replacing it', async () => {
    const keyPath = join(scratch.path, 'damaged.key');
    await writeFile(keyPath, 'short');
    await expect(new FileSecretStore(keyPath).seal('x')).rejects.toThrow(/damaged/);
    expect(await readFile(keyPath, 'utf8')).toBe('short');
  });
});
