import { FRAME_OVERHEAD, MAGIC, MAX_BLOCK_COUNT, MAX_PLAINTEXT_BLOCK_SIZE } from './frame.js';

/**
 * Offset arithmetic for a v3 stream whose blocks all hold `blockSize` plaintext bytes except the
 * last, which holds the remainder. This is what lets a reader turn "plaintext byte N" into one HTTP
 * Range request without reading anything before it.
 *
 * Offsets are JavaScript numbers: exact up to 2^53 bytes (8 PiB), which covers 2^32 blocks of up to
 * 2 MiB. Anything beyond that is refused rather than silently rounded.
 */
export class BlockLayout {
  readonly blockSize: number;
  readonly plaintextSize: number;

  constructor(blockSize: number, plaintextSize: number) {
    if (!Number.isSafeInteger(blockSize) || blockSize < 1 || blockSize > MAX_PLAINTEXT_BLOCK_SIZE) {
      throw new RangeError(`block size must be between 1 and ${MAX_PLAINTEXT_BLOCK_SIZE} bytes, not ${blockSize}`);
    }
    if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) {
      throw new RangeError(`plaintext size must be a non-negative integer, not ${plaintextSize}`);
    }
    const blockCount = Math.ceil(plaintextSize / blockSize);
    if (blockCount > MAX_BLOCK_COUNT) {
      throw new RangeError(`${plaintextSize} bytes in ${blockSize}-byte blocks needs more than 2^32 blocks`);
    }
    if (!Number.isSafeInteger(MAGIC.length + plaintextSize + blockCount * FRAME_OVERHEAD)) {
      throw new RangeError('the ciphertext would be larger than 2^53 bytes');
    }
    this.blockSize = blockSize;
    this.plaintextSize = plaintextSize;
  }

  get blockCount(): number {
    return Math.ceil(this.plaintextSize / this.blockSize);
  }

  /** Total ciphertext length: magic plus every frame. */
  get ciphertextSize(): number {
    return MAGIC.length + this.plaintextSize + this.blockCount * FRAME_OVERHEAD;
  }

  /** The block holding plaintext byte `offset`. */
  blockOf(plaintextOffset: number): number {
    this.assertPlaintextOffset(plaintextOffset);
    return Math.floor(plaintextOffset / this.blockSize);
  }

  plaintextStartOf(block: number): number {
    this.assertBlock(block);
    return block * this.blockSize;
  }

  plaintextLengthOf(block: number): number {
    this.assertBlock(block);
    return Math.min(this.blockSize, this.plaintextSize - block * this.blockSize);
  }

  /** Where frame `block` starts in the ciphertext (its registration code). */
  frameStartOf(block: number): number {
    this.assertBlock(block);
    return MAGIC.length + block * (this.blockSize + FRAME_OVERHEAD);
  }

  frameLengthOf(block: number): number {
    return this.plaintextLengthOf(block) + FRAME_OVERHEAD;
  }

  /**
   * The ciphertext byte range (inclusive, as HTTP Range writes it) covering every frame needed for
   * plaintext bytes `first`..`last`.
   */
  ciphertextRangeFor(first: number, last: number): { blocks: [number, number]; bytes: [number, number] } {
    if (last < first) throw new RangeError(`range end ${last} is before its start ${first}`);
    const firstBlock = this.blockOf(first);
    const lastBlock = this.blockOf(last);
    return {
      blocks: [firstBlock, lastBlock],
      bytes: [this.frameStartOf(firstBlock), this.frameStartOf(lastBlock) + this.frameLengthOf(lastBlock) - 1],
    };
  }

  private assertPlaintextOffset(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.plaintextSize) {
      throw new RangeError(`plaintext offset ${offset} is outside a ${this.plaintextSize}-byte file`);
    }
  }

  private assertBlock(block: number): void {
    if (!Number.isSafeInteger(block) || block < 0 || block >= this.blockCount) {
      throw new RangeError(`block ${block} is outside a ${this.blockCount}-block file`);
    }
  }
}

/**
 * The plaintext size of a complete constant-block-size stream of `ciphertextSize` bytes, or
 * undefined when no such stream has that length.
 */
export function plaintextSizeFromCiphertextSize(ciphertextSize: number, blockSize: number): number | undefined {
  if (ciphertextSize === 0 || ciphertextSize === MAGIC.length) return 0;
  const body = ciphertextSize - MAGIC.length;
  if (body <= 0) return undefined;
  const fullFrame = blockSize + FRAME_OVERHEAD;
  const fullFrames = Math.floor(body / fullFrame);
  const tail = body - fullFrames * fullFrame;
  if (tail === 0) return fullFrames * blockSize;
  if (tail <= FRAME_OVERHEAD) return undefined;
  return fullFrames * blockSize + tail - FRAME_OVERHEAD;
}
