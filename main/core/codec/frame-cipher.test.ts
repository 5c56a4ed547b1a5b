import { afterAll, describe, expect, it } from 'vitest';
import { FRAME_HEADER_LENGTH, readFrameHeader } from '../../../shared/msc4016/frame.js';
import { framesOf, joinFrames, randomPlaintext, withFixedCrc } from '../../../tests/support/codec.js';
import { frameCrc, openFrames, sealBlocks, sealFrames, streamPartsOf } from './block-cipher.js';
import { callerTakesBatch, CipherWorkerPool } from './cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipher, inlineFrameCipherWith } from './frame-cipher.js';
import { generateV3KeyMaterial } from './key-material.js';

const BLOCK = 1000;
const keys = generateV3KeyMaterial();
const pool = new CipherWorkerPool({ threads: 1 });
const sharedPool = new CipherWorkerPool({ threads: 1, shareCallingThread: true });
const nodeSharedPool = new CipherWorkerPool({ threads: 1, shareCallingThread: true, blockCipher: 'node:crypto' });
afterAll(() => Promise.all([pool.close(), sharedPool.close(), nodeSharedPool.close()]));

/** Frames as the stream carries them (the magic is not part of a batch). */
function framesOnly(frames: Buffer): Buffer[] {
  return framesOf(joinFrames([frames]));
}

describe('sealed blocks as stream parts', () => {
  it('lay out as header 0, ciphertext 0, tag 0 ‖ header 1, …, last tag: the frames byte for byte', () => {
    const plaintext = randomPlaintext(3 * BLOCK + 10);
    const sealed = sealBlocks(keys, 5, plaintext, BLOCK);
    const parts = streamPartsOf(sealed);
    expect(parts.map((part) => part.length)).toEqual([16, BLOCK, 32, BLOCK, 32, BLOCK, 32, 10, 16]);
    const stream = Buffer.concat(parts);
    const frames = framesOnly(stream);
    expect(frames.map((frame) => readFrameHeader(frame, 0)?.sequence)).toEqual([5, 6, 7, 8]);
    for (const frame of frames) {
      const header = readFrameHeader(frame, 0)!;
      expect(frame.length).toBe(FRAME_HEADER_LENGTH + header.ciphertextLength);
      expect(header.crc).toBe(frameCrc(frame, 0, header.ciphertextLength));
    }
    // The ciphertext parts are the cipher's own buffers, not slices of a joined copy.
    expect(new Set(sealed.ciphertexts.map((ciphertext) => ciphertext.buffer)).size).toBe(4);
    expect(sealFrames(keys, 5, plaintext, BLOCK).equals(stream)).toBe(true);
  });

  it('an empty batch has no parts', () => {
    expect(streamPartsOf(sealBlocks(keys, 0, Buffer.alloc(0), BLOCK))).toEqual([]);
  });

  it('opens to one plaintext buffer per block', () => {
    const plaintext = randomPlaintext(2 * BLOCK + 1);
    const { plaintexts, failure } = openFrames(keys, sealFrames(keys, 0, plaintext, BLOCK), 3);
    expect(failure).toBeUndefined();
    expect(plaintexts.map((block) => block.length)).toEqual([BLOCK, BLOCK, 1]);
    expect(Buffer.concat(plaintexts).equals(plaintext)).toBe(true);
  });
});

describe.each([
  ['inline', inlineFrameCipher],
  ['a worker', pool],
  ['a worker sharing the calling thread', sharedPool],
  ['inline, node:crypto', inlineFrameCipherWith('node:crypto')],
  ['a worker sharing the calling thread, node:crypto', nodeSharedPool],
] as [string, FrameCipher][])('the block path of %s', (_name, cipher) => {
  it('seals input given in uneven pieces exactly as the whole input sealed inline', async () => {
    const plaintext = randomPlaintext(4 * BLOCK + 3);
    const pieces = [plaintext.subarray(0, 1), plaintext.subarray(1, 2500), plaintext.subarray(2500)];
    // Three at once, so a pool that shares the calling thread may answer from both threads.
    const sealed = await Promise.all([0, 5, 10].map((first) => cipher.sealBlocks(keys, first, pieces, BLOCK)));
    for (const [index, first] of [0, 5, 10].entries()) {
      const expected = sealFrames(keys, first, plaintext, BLOCK);
      expect(Buffer.concat(streamPartsOf(sealed[index]!)).equals(expected)).toBe(true);
    }
  });

  it('opens frames given in pieces, returning the blocks before a tampered one and the fault', async () => {
    const plaintext = randomPlaintext(4 * BLOCK);
    const frames = framesOnly(sealFrames(keys, 0, plaintext, BLOCK));
    const tampered = Buffer.from(frames[2]!);
    tampered[FRAME_HEADER_LENGTH + 7]! ^= 1;
    const stream = Buffer.concat([frames[0]!, frames[1]!, withFixedCrc(tampered), frames[3]!]);
    const pieces = [stream.subarray(0, 10), stream.subarray(10, 3000), stream.subarray(3000)];
    const results = await Promise.all([1, 2, 3].map(() => cipher.openBlocks(keys, pieces, 4)));
    for (const { plaintexts, failure } of results) {
      expect(failure?.code).toBe('TAMPERED_BLOCK');
      expect(failure?.block).toBe(2);
      // One buffer per block (node:crypto) or per batch (native): the bytes are what counts.
      expect(Buffer.concat(plaintexts).equals(plaintext.subarray(0, 2 * BLOCK))).toBe(true);
    }
  });
});

describe('a pool sharing the calling thread', () => {
  it('takes a batch itself only when every worker already has two waiting or running', () => {
    expect(callerTakesBatch([0])).toBe(false);
    expect(callerTakesBatch([1])).toBe(false);
    expect(callerTakesBatch([2])).toBe(true);
    expect(callerTakesBatch([3, 1])).toBe(false);
    expect(callerTakesBatch([2, 4])).toBe(true);
  });

  it('gives its worker at least the first two of a burst of batches and seals every one correctly', async () => {
    const plaintext = randomPlaintext(2 * BLOCK);
    const { workers } = sharedPool as unknown as { workers: { posted: number }[] };
    const postedBefore = workers[0]!.posted;
    const firsts = [0, 2, 4, 6, 8];
    const sealed = await Promise.all(firsts.map((first) => sharedPool.sealBlocks(keys, first, [plaintext], BLOCK)));
    expect(workers[0]!.posted - postedBefore).toBeGreaterThanOrEqual(2);
    for (const [index, first] of firsts.entries()) {
      expect(Buffer.concat(streamPartsOf(sealed[index]!)).equals(sealFrames(keys, first, plaintext, BLOCK))).toBe(true);
    }
  });
});
