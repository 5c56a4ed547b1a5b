import { describe, expect, it } from 'vitest';
import { isCodecError, type CodecErrorCode } from '../../../shared/msc4016/codec-error.js';
import { decryptCapturing, encryptBuffer, randomPlaintext } from '../../../tests/support/codec.js';
import { generateV3KeyMaterial } from './key-material.js';
import { buildBlockIndex } from './random-access.js';

/*
 * Bytes after a stream's last block are refused (docs/PROTOCOL.md §3): reported as what they are,
 * TRAILING_DATA, not as a stream cut in the middle of a block. Bytes that could still be the start of
 * a block cut short remain TRUNCATED when nothing says the stream should have ended.
 */

const BLOCK = 4096;
const keys = generateV3KeyMaterial();
const plaintext = randomPlaintext(2 * BLOCK + 100);
const ciphertext = encryptBuffer(plaintext, keys, BLOCK);
const CODE_START = Buffer.from([0xff, 0xff]);

function expectRefusal(error: unknown, code: CodecErrorCode, message?: RegExp): void {
  expect(isCodecError(error), `expected a CodecError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
}

const withSuffix = async (suffix: Buffer): Promise<Buffer> => Buffer.concat([await ciphertext, suffix]);

describe('bytes after the last block', () => {
  it.each([
    ['5 bytes of junk', Buffer.from('junk!')],
    ['40 bytes of junk', Buffer.alloc(40, 0x41)],
    ['the start of a registration code', CODE_START],
  ])('with info.size known, %s are TRAILING_DATA, after every authenticated byte', async (_name, suffix) => {
    const { plaintext: out, error } = await decryptCapturing(await withSuffix(suffix), {
      keys,
      expectedSize: plaintext.length,
    });
    expectRefusal(
      error,
      'TRAILING_DATA',
      new RegExp(`${suffix.length} extra bytes after its last block \\(block 2\\)`),
    );
    expect(out.equals(plaintext)).toBe(true);
  });

  it('without info.size, bytes that cannot begin a block are TRAILING_DATA', async () => {
    const { error } = await decryptCapturing(await withSuffix(Buffer.from('junk!')), { keys });
    expectRefusal(error, 'TRAILING_DATA', /5 extra bytes/);
  });

  it('without info.size, bytes that may be a block cut short stay TRUNCATED', async () => {
    const { error } = await decryptCapturing(await withSuffix(CODE_START), { keys });
    expectRefusal(error, 'TRUNCATED', /middle of block 3/);
  });

  it('the block index of a stored stream says the same', async () => {
    const index = async (stream: Buffer) => {
      try {
        await buildBlockIndex({ size: stream.length, read: async (start, end) => stream.subarray(start, end) });
        return undefined;
      } catch (error) {
        return error;
      }
    };
    expectRefusal(await index(await withSuffix(Buffer.from('junk!'))), 'TRAILING_DATA', /5 extra bytes/);
    expectRefusal(await index(await withSuffix(CODE_START)), 'TRUNCATED', /header of block 3/);
    expect(await index(await ciphertext)).toBeUndefined();
  });
});
