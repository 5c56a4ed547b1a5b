import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCodecError } from '../../../shared/msc4016/codec-error.js';
import { decryptCapturing, encryptBuffer } from '../../../tests/support/codec.js';
import { generateV3KeyMaterial } from './key-material.js';

const keys = generateV3KeyMaterial();

describe('v3 properties', () => {
  it('any plaintext, block size and chunking round-trips exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 20_000 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }),
        async (bytes, blockSize, writeChunks, readChunks) => {
          const plaintext = Buffer.from(bytes);
          const ciphertext = await encryptBuffer(plaintext, keys, blockSize, undefined, writeChunks);
          const { plaintext: restored, error } = await decryptCapturing(
            ciphertext,
            { keys, expectedSize: plaintext.length, blockSize },
            readChunks,
          );
          expect(error).toBeUndefined();
          expect(restored.equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any single-byte change anywhere in a ciphertext is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 6000 }),
        fc.integer({ min: 1, max: 2048 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (bytes, blockSize, position, mask) => {
          const plaintext = Buffer.from(bytes);
          const ciphertext = await encryptBuffer(plaintext, keys, blockSize);
          const index = position % ciphertext.length;
          ciphertext.writeUInt8(ciphertext.readUInt8(index) ^ mask, index);
          const { plaintext: delivered, error } = await decryptCapturing(ciphertext, {
            keys,
            expectedSize: plaintext.length,
          });
          expect(isCodecError(error), `byte ${index} changed by ${mask} was accepted`).toBe(true);
          // Whatever was delivered before the fault is a true prefix of the original.
          expect(plaintext.subarray(0, delivered.length).equals(delivered)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
