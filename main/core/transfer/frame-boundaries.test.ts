import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunked, encryptBuffer } from '../../../tests/support/codec.js';
import { generateV3KeyMaterial } from '../codec/key-material.js';
import { FrameBoundaryTracker } from './frame-boundaries.js';

describe('FrameBoundaryTracker', () => {
  it('knows the ciphertext offset and next block of every block boundary, however the stream is chunked', async () => {
    const blockSize = 1000;
    const ciphertext = await encryptBuffer(randomBytes(4500), generateV3KeyMaterial(), blockSize);
    for (const sizes of [[1], [7, 3], [16], [1032], [5000]]) {
      const tracker = new FrameBoundaryTracker({ plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 });
      for (const chunk of chunked(ciphertext, sizes)) tracker.observe(chunk);
      expect(tracker.positionAt(0)).toEqual({ plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 });
      expect(tracker.positionAt(1000)).toEqual({ plaintextOffset: 1000, ciphertextOffset: 4 + 1032, nextSequence: 1 });
      expect(tracker.positionAt(2500)).toBeUndefined();
      expect(tracker.positionAt(3000)).toEqual({
        plaintextOffset: 3000,
        ciphertextOffset: 4 + 3 * 1032,
        nextSequence: 3,
      });
      expect(tracker.positionAt(4500)).toEqual({
        plaintextOffset: 4500,
        ciphertextOffset: ciphertext.length,
        nextSequence: 5,
      });
    }
  });

  it('continues from a resumed position in the middle of a stream', async () => {
    const ciphertext = await encryptBuffer(randomBytes(3000), generateV3KeyMaterial(), 1000);
    const resumeAt = 4 + 1032;
    const tracker = new FrameBoundaryTracker({ plaintextOffset: 1000, ciphertextOffset: resumeAt, nextSequence: 1 });
    tracker.observe(ciphertext.subarray(resumeAt));
    expect(tracker.positionAt(2000)).toEqual({
      plaintextOffset: 2000,
      ciphertextOffset: 4 + 2 * 1032,
      nextSequence: 2,
    });
  });
});
