import { describe, expect, it } from 'vitest';
import { FRAME_OVERHEAD } from '../../../shared/msc4016/frame.js';
import { collect, framesOf, randomPlaintext } from '../../../tests/support/codec.js';
import { type FrameCipher, inlineFrameCipher } from './frame-cipher.js';
import { generateV3KeyMaterial } from './key-material.js';
import { decryptV3 } from './v3-decryptor.js';
import { encryptV3 } from './v3-encryptor.js';

const BLOCK = 512;
const keys = generateV3KeyMaterial();

/** The inline cipher, keeping `batchesInFlight` batches in the stream's pipeline and noting every batch's block count. */
function recordingCipher(batchesInFlight: number): FrameCipher & { readonly batches: number[] } {
  const batches: number[] = [];
  const length = (pieces: readonly Buffer[]) => pieces.reduce((total, piece) => total + piece.length, 0);
  return {
    batches,
    parallelism: batchesInFlight,
    batchesInFlight,
    sealBlocks(keyMaterial, firstSequence, plaintext, blockSize) {
      batches.push(Math.ceil(length(plaintext) / blockSize));
      return inlineFrameCipher.sealBlocks(keyMaterial, firstSequence, plaintext, blockSize);
    },
    openBlocks(keyMaterial, frames, count) {
      batches.push(count);
      return inlineFrameCipher.openBlocks(keyMaterial, frames, count);
    },
  };
}

async function* oneChunkEach(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

describe('batching', () => {
  const plaintext = randomPlaintext(14 * BLOCK);
  const blocks = Array.from({ length: 14 }, (_, i) => plaintext.subarray(i * BLOCK, (i + 1) * BLOCK));

  it('the encryptor sends a block at once while the cipher is idle, and whole batches while it is busy', async () => {
    const cipher = recordingCipher(4);
    const ciphertext = await collect(
      encryptV3(oneChunkEach(blocks), { keys, blockSize: BLOCK, cipher, maxBatchBytes: 4 * BLOCK }),
    );
    expect(cipher.batches).toEqual([1, 4, 4, 4, 1]);
    const restored = await collect(decryptV3([ciphertext], { keys, expectedSize: plaintext.length }));
    expect(restored.equals(plaintext)).toBe(true);
  });

  it('the encryptor with an inline cipher seals every block as soon as it is complete', async () => {
    const cipher = recordingCipher(1);
    await collect(encryptV3(oneChunkEach(blocks), { keys, blockSize: BLOCK, cipher, maxBatchBytes: 4 * BLOCK }));
    expect(cipher.batches).toEqual(Array.from({ length: 14 }, () => 1));
  });

  it('the decryptor gathers frames that arrive one per chunk into whole batches while the cipher is busy', async () => {
    const ciphertext = await collect(encryptV3([plaintext], { keys, blockSize: BLOCK }));
    const frames = framesOf(ciphertext);
    const chunks = [ciphertext.subarray(0, 4), ...frames];
    const cipher = recordingCipher(4);
    const restored = await collect(
      decryptV3(oneChunkEach(chunks), {
        keys,
        cipher,
        expectedSize: plaintext.length,
        maxBatchBytes: 4 * (BLOCK + FRAME_OVERHEAD),
      }),
    );
    expect(restored.equals(plaintext)).toBe(true);
    expect(cipher.batches).toEqual([1, 4, 4, 4, 1]);
  });

  it('frames gathered while the cipher is busy are still delivered before a header fault behind them', async () => {
    const ciphertext = await collect(encryptV3([plaintext], { keys, blockSize: BLOCK }));
    const frames = framesOf(ciphertext);
    // Block 7 is missing: blocks 0-6 are sound and must arrive before the refusal.
    const chunks = [ciphertext.subarray(0, 4), ...frames.slice(0, 7), ...frames.slice(8)];
    const cipher = recordingCipher(4);
    const delivered: Buffer[] = [];
    let error: unknown;
    try {
      for await (const block of decryptV3(oneChunkEach(chunks), {
        keys,
        cipher,
        maxBatchBytes: 4 * (BLOCK + FRAME_OVERHEAD),
      })) {
        delivered.push(block);
      }
    } catch (caught) {
      error = caught;
    }
    expect((error as { code?: string }).code).toBe('OUT_OF_ORDER_BLOCK');
    expect(Buffer.concat(delivered).equals(plaintext.subarray(0, 7 * BLOCK))).toBe(true);
  });
});
