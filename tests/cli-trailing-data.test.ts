import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, runCli } from './support/cli.js';

/*
 * What a person reads when a ciphertext has bytes after its last block (issue 21, point 7): the
 * decryption is refused, and the message says there are extra bytes, not that a block was cut.
 */

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir();
  await writeFile(join(dir, 'plain'), randomBytes(100_000));
  const encrypted = await runCli([
    'encrypt',
    join(dir, 'plain'),
    join(dir, 'cipher'),
    '--info',
    join(dir, 'info.json'),
  ]);
  expect(encrypted.code, encrypted.stderr).toBe(0);
});
afterAll(() => removeTempDir(dir));

describe('decrypt, with bytes after the last block', () => {
  it('refuses with TRAILING_DATA, says there are extra bytes after the last block, and writes no file', async () => {
    await appendFile(join(dir, 'cipher'), 'junk!');
    const out = join(dir, 'out');
    const result = await runCli(['decrypt', join(dir, 'cipher'), out, '--info', join(dir, 'info.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'slipstream: the stream has 5 extra bytes after its last block (block 1): they are not part of the file [TRAILING_DATA]\n',
    );
    expect(existsSync(out)).toBe(false);
  });
});
