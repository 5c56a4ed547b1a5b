import { describe, expect, it } from 'vitest';
import { BlockLayout, plaintextSizeFromCiphertextSize } from './block-layout.js';
import { FRAME_OVERHEAD, MAX_BLOCK_COUNT } from './frame.js';

const KiB = 1024;
const GiB = 1024 ** 3;

describe('BlockLayout offset arithmetic', () => {
  it('maps plaintext offsets to blocks and frame starts', () => {
    const layout = new BlockLayout(64 * KiB, 200 * KiB + 3);
    expect(layout.blockCount).toBe(4);
    expect(layout.blockOf(0)).toBe(0);
    expect(layout.blockOf(64 * KiB - 1)).toBe(0);
    expect(layout.blockOf(64 * KiB)).toBe(1);
    expect(layout.frameStartOf(0)).toBe(4);
    expect(layout.frameStartOf(1)).toBe(4 + 64 * KiB + FRAME_OVERHEAD);
    expect(layout.plaintextLengthOf(3)).toBe(8 * KiB + 3);
    expect(layout.ciphertextSize).toBe(4 + 200 * KiB + 3 + 4 * FRAME_OVERHEAD);
  });

  it('gives the inclusive ciphertext range covering a plaintext range', () => {
    const layout = new BlockLayout(1000, 10_000);
    const { blocks, bytes } = layout.ciphertextRangeFor(999, 1000);
    expect(blocks).toEqual([0, 1]);
    expect(bytes).toEqual([4, 4 + 2 * (1000 + FRAME_OVERHEAD) - 1]);
  });

  it('stays exact past 4 GiB', () => {
    const size = 10 * GiB + 12_345;
    const layout = new BlockLayout(64 * KiB, size);
    const offset = 5 * GiB + 777;
    const block = layout.blockOf(offset);
    expect(block).toBe(Math.floor(offset / (64 * KiB)));
    expect(block).toBeGreaterThan(2 ** 16);
    expect(layout.frameStartOf(block)).toBe(4 + block * (64 * KiB + FRAME_OVERHEAD));
    expect(layout.frameStartOf(block)).toBeGreaterThan(2 ** 32);
    expect(layout.plaintextStartOf(block) <= offset && offset < layout.plaintextStartOf(block) + 64 * KiB).toBe(true);
    expect(plaintextSizeFromCiphertextSize(layout.ciphertextSize, 64 * KiB)).toBe(size);
  });

  it('reaches the last of 2^32 blocks and refuses one more', () => {
    const blockSize = 64 * KiB;
    const layout = new BlockLayout(blockSize, MAX_BLOCK_COUNT * blockSize);
    expect(layout.blockCount).toBe(MAX_BLOCK_COUNT);
    const last = MAX_BLOCK_COUNT - 1;
    expect(layout.blockOf(layout.plaintextSize - 1)).toBe(last);
    expect(layout.frameStartOf(last)).toBe(4 + last * (blockSize + FRAME_OVERHEAD));
    expect(Number.isSafeInteger(layout.ciphertextSize)).toBe(true);
    expect(() => layout.frameStartOf(MAX_BLOCK_COUNT)).toThrow(RangeError);
    expect(() => new BlockLayout(blockSize, MAX_BLOCK_COUNT * blockSize + 1)).toThrow(/2\^32 blocks/);
  });

  it('refuses offsets and blocks outside the file', () => {
    const layout = new BlockLayout(100, 250);
    expect(() => layout.blockOf(250)).toThrow(RangeError);
    expect(() => layout.blockOf(-1)).toThrow(RangeError);
    expect(() => layout.plaintextStartOf(3)).toThrow(RangeError);
    expect(() => new BlockLayout(0, 10)).toThrow(RangeError);
    expect(() => new BlockLayout(17 * 1024 * 1024, 10)).toThrow(RangeError);
  });

  it('inverts ciphertext sizes to plaintext sizes, and rejects impossible ones', () => {
    for (const size of [0, 1, 99, 100, 101, 12_345]) {
      expect(plaintextSizeFromCiphertextSize(new BlockLayout(100, size).ciphertextSize, 100)).toBe(size);
    }
    expect(plaintextSizeFromCiphertextSize(4 + FRAME_OVERHEAD, 100)).toBeUndefined();
    expect(plaintextSizeFromCiphertextSize(3, 100)).toBeUndefined();
  });
});
