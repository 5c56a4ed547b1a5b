import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCodecError } from '../../../shared/msc4016/codec-error.js';
import { chunked, collect, randomPlaintext } from '../../../tests/support/codec.js';
import { encodeUnpaddedBase64 } from './base64.js';
import { generateV2KeyMaterial } from './key-material.js';
import { decryptV2, encryptV2 } from './v2-codec.js';

async function encrypt(plaintext: Buffer, keys = generateV2KeyMaterial(), sizes?: number[]) {
  const encryption = encryptV2(chunked(plaintext, sizes), keys);
  const ciphertext = await collect(encryption.ciphertext);
  return { keys, ciphertext, sha256: await encryption.sha256 };
}

describe('legacy v2 attachments', () => {
  it('round-trip at any chunking, with the SHA-256 of the ciphertext', async () => {
    for (const size of [0, 1, 15, 16, 17, 100_003]) {
      const plaintext = randomPlaintext(size);
      const { keys, ciphertext, sha256 } = await encrypt(plaintext, undefined, [7, 1000, 3]);
      expect(ciphertext.length).toBe(size);
      expect(sha256).toBe(encodeUnpaddedBase64(createHash('sha256').update(ciphertext).digest()));
      expect((await collect(decryptV2(chunked(ciphertext, [13, 4096]), keys, sha256))).equals(plaintext)).toBe(true);
    }
  });

  it('is plain AES-256-CTR with the IV as the first counter block', async () => {
    const plaintext = randomPlaintext(1000);
    const { keys, ciphertext } = await encrypt(plaintext);
    const expected = createCipheriv('aes-256-ctr', keys.key, keys.iv).update(plaintext);
    expect(ciphertext.equals(expected)).toBe(true);
  });

  it('wraps the 64-bit counter without carrying into the IV’s high half', async () => {
    const keys = generateV2KeyMaterial();
    const iv = Buffer.from(keys.iv);
    iv.writeBigUInt64BE(0xfffffffffffffffen, 8);
    const wrapping = { key: keys.key, iv };
    const plaintext = randomPlaintext(100);
    const { ciphertext } = await encrypt(plaintext, wrapping, [5]);
    // Blocks 0-1 use counters ...fe and ...ff; block 2 must use high ‖ 0, not (high+1) ‖ 0.
    const wrappedIv = Buffer.concat([iv.subarray(0, 8), Buffer.alloc(8)]);
    const expectedTail = createCipheriv('aes-256-ctr', keys.key, wrappedIv).update(plaintext.subarray(32));
    expect(ciphertext.subarray(32).equals(expectedTail)).toBe(true);
  });

  it('does not complete when the ciphertext does not match its SHA-256', async () => {
    const plaintext = randomPlaintext(50_000);
    const { keys, ciphertext, sha256 } = await encrypt(plaintext);
    ciphertext.writeUInt8(ciphertext.readUInt8(25_000) ^ 1, 25_000);
    let error: unknown;
    try {
      await collect(decryptV2(chunked(ciphertext, [4096]), keys, sha256));
    } catch (caught) {
      error = caught;
    }
    expect(isCodecError(error, 'HASH_MISMATCH')).toBe(true);
  });

  it('does not complete when the ciphertext is cut short', async () => {
    const { keys, ciphertext, sha256 } = await encrypt(randomPlaintext(5000));
    await expect(collect(decryptV2([ciphertext.subarray(0, 4096)], keys, sha256))).rejects.toThrow(/SHA-256/);
  });

  it('refuses a hash that is not a SHA-256 digest', async () => {
    const { keys, ciphertext } = await encrypt(randomPlaintext(10));
    await expect(collect(decryptV2([ciphertext], keys, 'AAAA'))).rejects.toThrow(/not a SHA-256 digest/);
  });
});
