import { FRAME_HEADER_LENGTH, GCM_TAG_LENGTH, MAGIC } from '../../../shared/msc4016/frame.js';
import type { ReceiveCheckpoint } from './transfer-record.js';

/**
 * Follows the frame headers of a v3 stream as it is downloaded, so the receiver knows, for any block
 * boundary its decryptor has reached, where the next frame starts in the ciphertext. That is what a
 * resumed download's Range request starts from, whatever the block sizes (the reference encoder
 * varies them). Headers are only read here, never trusted: the decryptor checks every one of them
 * and authenticates every block, so a lying header fails there, not here.
 */
export class FrameBoundaryTracker {
  private boundaries: ReceiveCheckpoint[] = [];
  private head = 0;
  private position: number;
  private nextFrameStart: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerFilled = 0;
  private plaintext: number;
  private sequence: number;
  private lost = false;
  /** A frame carried a CRC of 0 ("absent", as the reference encoder writes): not as this engine writes frames. */
  sawAbsentCrc = false;

  constructor(start: ReceiveCheckpoint) {
    this.position = start.ciphertextOffset;
    this.nextFrameStart = start.ciphertextOffset === 0 ? MAGIC.length : start.ciphertextOffset;
    this.plaintext = start.plaintextOffset;
    this.sequence = start.nextSequence;
    this.boundaries.push(start);
  }

  observe(chunk: Uint8Array): void {
    const end = this.position + chunk.length;
    while (!this.lost && this.nextFrameStart + this.headerFilled < end) {
      const from = this.nextFrameStart + this.headerFilled - this.position;
      const take = Math.min(FRAME_HEADER_LENGTH - this.headerFilled, chunk.length - from);
      this.header.set(chunk.subarray(from, from + take), this.headerFilled);
      this.headerFilled += take;
      if (this.headerFilled < FRAME_HEADER_LENGTH) break;
      const ciphertextLength = this.header.readUInt32LE(8);
      if (this.header.readUInt32LE(12) === 0) this.sawAbsentCrc = true;
      this.headerFilled = 0;
      if (ciphertextLength < GCM_TAG_LENGTH) {
        this.lost = true;
        break;
      }
      this.nextFrameStart += FRAME_HEADER_LENGTH + ciphertextLength;
      this.plaintext += ciphertextLength - GCM_TAG_LENGTH;
      this.sequence += 1;
      this.boundaries.push({
        ciphertextOffset: this.nextFrameStart,
        plaintextOffset: this.plaintext,
        nextSequence: this.sequence,
      });
    }
    this.position = end;
  }

  /** The first block boundary known at a ciphertext offset in (from, to] (receive-digest.ts marks). */
  boundaryWithin(from: number, to: number): ReceiveCheckpoint | undefined {
    let low = this.head;
    let high = this.boundaries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.boundaries[middle]!.ciphertextOffset <= from) low = middle + 1;
      else high = middle;
    }
    const found = this.boundaries[low];
    return found !== undefined && found.ciphertextOffset <= to ? found : undefined;
  }

  /** The stream position at plaintext offset `plaintextOffset`, if a block boundary falls exactly there. */
  positionAt(plaintextOffset: number): ReceiveCheckpoint | undefined {
    while (this.head < this.boundaries.length - 1 && this.boundaries[this.head]!.plaintextOffset < plaintextOffset) {
      this.head++;
    }
    if (this.head > 1024) {
      this.boundaries = this.boundaries.slice(this.head);
      this.head = 0;
    }
    const first = this.boundaries[this.head];
    return first?.plaintextOffset === plaintextOffset ? first : undefined;
  }
}
