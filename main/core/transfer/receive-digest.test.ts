import { createHash, randomBytes } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunked, encryptBuffer } from '../../../tests/support/codec.js';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { inlineFrameCipher } from '../codec/frame-cipher.js';
import { generateV2KeyMaterial, generateV3KeyMaterial } from '../codec/key-material.js';
import { CounterModeStream } from '../codec/v2-codec.js';
import { FrameBoundaryTracker } from './frame-boundaries.js';
import { flatBoundaries, initialMark, ReceiveDigest, rederivedMark, type WrittenStream } from './receive-digest.js';
import type { ReceiveCheckpoint } from './transfer-record.js';

const scratch = useScratchDirectory('receive-digest');
const never = new AbortController().signal;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '');
const hashOf = (mark: { hash: { copy(): { digest(): Buffer } } }): string =>
  mark.hash.copy().digest().toString('base64').replace(/=+$/, '');

/** The first `length` bytes of `plaintext`, as a receive's partial file. */
async function partialFile(plaintext: Buffer, length: number) {
  const path = join(scratch.path, `partial-${randomBytes(4).toString('hex')}`);
  await writeFile(path, plaintext.subarray(0, length));
  return open(path, 'r');
}

describe('a receive’s ciphertext digest', () => {
  it('keeps marks at block boundaries from which a resumed attempt ends with the same SHA-256', async () => {
    const blockSize = 1000;
    const ciphertext = await encryptBuffer(randomBytes(20_500), generateV3KeyMaterial(), blockSize);
    const start = { plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 };
    const tracker = new FrameBoundaryTracker(start);
    let durable: ReceiveCheckpoint = start;
    const digest = new ReceiveDigest(
      initialMark(),
      (from, to) => tracker.boundaryWithin(from, to),
      () => durable,
      3000,
    );
    // The first attempt breaks off after 14 000 bytes; its writer had got to block 9.
    for (const chunk of chunked(ciphertext.subarray(0, 14_000), [700, 333])) {
      tracker.observe(chunk);
      digest.update(chunk);
    }
    durable = tracker.positionAt(5000)!;
    const latest = tracker.positionAt(9000)!;
    const mark = digest.markAtOrBefore(latest);
    expect(mark.at.ciphertextOffset).toBeLessThanOrEqual(latest.ciphertextOffset);
    expect(mark.at.ciphertextOffset).toBeGreaterThan(latest.ciphertextOffset - 3000 - 2 * 1032);
    expect(mark.at.plaintextOffset % blockSize).toBe(0);
    expect(hashOf(mark)).toBe(sha256(ciphertext.subarray(0, mark.at.ciphertextOffset)));

    // The next attempt asks for the stream from the mark and ends with the whole stream's SHA-256.
    const resumed = new ReceiveDigest(mark, flatBoundaries(1), () => durable);
    for (const chunk of chunked(ciphertext.subarray(mark.at.ciphertextOffset), [4096])) resumed.update(chunk);
    expect(resumed.result()).toBe(sha256(ciphertext));
    expect(digest.markAtOrBefore(start).at.ciphertextOffset).toBeLessThanOrEqual(durable.ciphertextOffset);
  });

  it('marks v2 streams only where the counter can restart (16-byte boundaries)', () => {
    const digest = new ReceiveDigest(initialMark(), flatBoundaries(16), () => initialMark().at, 100);
    const bytes = randomBytes(1000);
    for (const chunk of chunked(bytes, [37])) digest.update(chunk);
    const mark = digest.markAtOrBefore({ plaintextOffset: 1000, ciphertextOffset: 1000, nextSequence: 0 });
    expect(mark.at.ciphertextOffset % 16).toBe(0);
    expect(mark.at.ciphertextOffset).toBeGreaterThan(800);
    expect(hashOf(mark)).toBe(sha256(bytes.subarray(0, mark.at.ciphertextOffset)));
    expect(digest.result()).toBe(sha256(bytes));
  });
});

describe('re-deriving the digest from the plaintext written (after a restart)', () => {
  it('re-encrypts a v3 prefix into exactly the frames received', async () => {
    const keys = generateV3KeyMaterial();
    const blockSize = 4096;
    const plaintext = randomBytes(10 * blockSize + 100);
    const ciphertext = await encryptBuffer(plaintext, keys, blockSize);
    for (const blocks of [3, 11]) {
      const plaintextOffset = Math.min(plaintext.length, blocks * blockSize);
      const at = { plaintextOffset, ciphertextOffset: 4 + plaintextOffset + blocks * 32, nextSequence: blocks };
      const handle = await partialFile(plaintext, plaintextOffset);
      const stream: WrittenStream = { format: 'v3', size: plaintext.length, checkpoint: at, blockSize, keys };
      const mark = await rederivedMark(stream, handle, inlineFrameCipher, never);
      expect(mark.at).toEqual(at);
      expect(hashOf(mark)).toBe(sha256(ciphertext.subarray(0, at.ciphertextOffset)));
      // Frames it would not write byte for byte, or a checkpoint that is no block boundary: from the start.
      expect((await rederivedMark({ ...stream, foreignFraming: true }, handle, inlineFrameCipher, never)).at).toEqual(
        initialMark().at,
      );
      const off = { ...at, ciphertextOffset: at.ciphertextOffset + 1 };
      expect(
        (await rederivedMark({ ...stream, checkpoint: off }, handle, inlineFrameCipher, never)).at.ciphertextOffset,
      ).toBe(0);
      await handle.close();
    }
  });

  it('re-encrypts a v2 prefix with the counter, and takes a plain file as it is', async () => {
    const keys = generateV2KeyMaterial();
    const plaintext = randomBytes(50_000);
    const ciphertext = new CounterModeStream(keys, 'encrypt').update(plaintext);
    const at = { plaintextOffset: 32_000, ciphertextOffset: 32_000, nextSequence: 0 };
    const handle = await partialFile(plaintext, at.plaintextOffset);
    const v2 = await rederivedMark(
      { format: 'v2', size: plaintext.length, checkpoint: at, keys },
      handle,
      inlineFrameCipher,
      never,
    );
    expect(hashOf(v2)).toBe(sha256(ciphertext.subarray(0, 32_000)));
    const plain = await rederivedMark(
      { format: 'plain', size: plaintext.length, checkpoint: at },
      handle,
      inlineFrameCipher,
      never,
    );
    expect(hashOf(plain)).toBe(sha256(plaintext.subarray(0, 32_000)));
    // A partial file shorter than its checkpoint says is not taken for the file.
    const beyond = { plaintextOffset: 40_000, ciphertextOffset: 40_000, nextSequence: 0 };
    await expect(
      rederivedMark({ format: 'plain', size: plaintext.length, checkpoint: beyond }, handle, inlineFrameCipher, never),
    ).rejects.toThrow(/shorter than its recorded checkpoint/);
    await handle.close();
  });

  it('notices frames whose CRC is left 0 (the reference encoder’s), which it could not re-derive', async () => {
    const ciphertext = await encryptBuffer(randomBytes(3000), generateV3KeyMaterial(), 1000);
    const tracker = new FrameBoundaryTracker({ plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 });
    tracker.observe(ciphertext);
    expect(tracker.sawAbsentCrc).toBe(false);
    const zeroed = Buffer.from(ciphertext);
    zeroed.writeUInt32LE(0, 4 + 1032 + 12);
    const other = new FrameBoundaryTracker({ plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 });
    for (const chunk of chunked(zeroed, [5])) other.observe(chunk);
    expect(other.sawAbsentCrc).toBe(true);
  });
});
