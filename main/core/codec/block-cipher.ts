import { createCipheriv, createDecipheriv } from 'node:crypto';
// zlib's CRC-32 ran at 2.6 GB/s here, as slow as AES-GCM itself; this SIMD build of the same CRC
// runs at 7 GB/s (bench/codec.ts), so the CRC stops halving throughput.
import { crc32 } from '@node-rs/crc32';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  FRAME_HEADER_LENGTH,
  FRAME_OVERHEAD,
  type FrameHeader,
  GCM_TAG_LENGTH,
  MAX_BLOCK_COUNT,
  readFrameHeader,
  writeFrameHeader,
} from '../../../shared/msc4016/frame.js';
import { ChunkQueue } from './chunk-queue.js';
import type { KeyMaterial } from './key-material.js';

/**
 * The AES-256-GCM part of MSC4016 v3, one block at a time, kept apart from stream handling so that
 * the same functions run inline or in a worker thread.
 *
 * Block i is sealed with IV = u32le(i) ‖ iv and AAD = u32le(i). Binding the sequence number into both
 * means a block moved to another position fails its tag: reordering, repetition and splicing are
 * caught by the cipher, not only by the header check.
 */

/** Reusable per-thread scratch for the per-block IV and AAD: Node copies both when they are set. */
const scratchIv = Buffer.alloc(16);
const scratchAad = Buffer.alloc(4);

function blockIv(baseIv: Uint8Array, sequence: number): Buffer {
  if (baseIv.length !== 12) {
    const iv = Buffer.allocUnsafe(4 + baseIv.length);
    iv.writeUInt32LE(sequence, 0);
    iv.set(baseIv, 4);
    return iv;
  }
  scratchIv.writeUInt32LE(sequence, 0);
  scratchIv.set(baseIv, 4);
  return scratchIv;
}

function sequenceAad(sequence: number): Buffer {
  scratchAad.writeUInt32LE(sequence, 0);
  return scratchAad;
}

/** CRC-32 (zlib) over the header's first twelve bytes and the ciphertext, as the CRC field defines it. */
export function frameCrc(frame: Uint8Array, frameOffset: number, ciphertextLength: number): number {
  const headerStart = frame.subarray(frameOffset, frameOffset + 12);
  const body = frame.subarray(frameOffset + FRAME_HEADER_LENGTH, frameOffset + FRAME_HEADER_LENGTH + ciphertextLength);
  return crc32(body, crc32(headerStart));
}

/**
 * Sealed blocks as node:crypto makes them, without their ciphertext copied into frames. Node's
 * cipher already hands back each block's ciphertext in a buffer of its own; copying it next to its
 * header cost a tenth of the encryption time, so the stream is emitted as parts instead (see
 * `streamPartsOf`).
 */
export interface SealedParts {
  /**
   * The 32 bytes around each block's ciphertext: block i's header at 32i, its tag at 32i + 16. A tag
   * and the next header are adjacent in the stream too, so the stream reads straight out of this.
   */
  readonly framing: Buffer;
  readonly ciphertexts: readonly Buffer[];
}

/** Sealed blocks as the native cipher makes them: the frames already laid out as the stream carries them. */
export interface SealedFrames {
  /** Each block's header and tag, laid out as in SealedParts (what a digest of the framing covers). */
  readonly framing: Buffer;
  /** Header 0, ciphertext 0, tag 0, header 1, …: the batch's stream bytes in one buffer. */
  readonly frames: Buffer;
  /**
   * The memory `frames` lies at the start of, referenced by nothing else: once its user has
   * finished with the frames it may be handed back (FrameCipher.reuse) for a later result.
   */
  readonly storage: ArrayBuffer;
}

export type SealedBlocks = SealedParts | SealedFrames;

/**
 * Bytes given as one buffer or as consecutive pieces (views into a stream's chunks), read in
 * order. Only a block or frame that straddles two pieces is copied, and only that one.
 */
export function queueOf(bytes: Uint8Array | readonly Uint8Array[]): ChunkQueue {
  const queue = new ChunkQueue();
  for (const piece of bytes instanceof Uint8Array ? [bytes] : bytes) {
    queue.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
  }
  return queue;
}

/** A writer stops before sequence numbers wrap: a wrapped number would reuse a block IV under the same key. */
export function assertSequencesFit(firstSequence: number, blockCount: number): void {
  if (firstSequence + blockCount > MAX_BLOCK_COUNT) {
    throw new CodecError(
      'TOO_MANY_BLOCKS',
      'the file needs more than 2^32 blocks; encrypt it with a larger block size',
      MAX_BLOCK_COUNT,
    );
  }
}

/**
 * Encrypts `plaintext` as consecutive blocks of `blockSize` bytes (the last may be shorter) numbered
 * from `firstSequence`.
 */
export function sealBlocks(
  keys: KeyMaterial,
  firstSequence: number,
  plaintext: Uint8Array | readonly Uint8Array[],
  blockSize: number,
): SealedParts {
  const input = queueOf(plaintext);
  const blockCount = Math.ceil(input.length / blockSize);
  assertSequencesFit(firstSequence, blockCount);
  // Its own memory (not a slice of Node's shared pool), so a worker can transfer it.
  const framing = Buffer.allocUnsafeSlow(blockCount * FRAME_OVERHEAD);
  const ciphertexts: Buffer[] = [];
  for (let i = 0; i < blockCount; i++) {
    const sequence = firstSequence + i;
    const block = input.takeContiguous(Math.min(blockSize, input.length));
    const cipher = createCipheriv('aes-256-gcm', keys.key, blockIv(keys.iv, sequence), {
      authTagLength: GCM_TAG_LENGTH,
    });
    cipher.setAAD(sequenceAad(sequence));
    // GCM is a stream mode: update() returns every byte and final() none, so the ciphertext needs no joining.
    const ciphertext = cipher.update(block);
    cipher.final();
    const headerOffset = i * FRAME_OVERHEAD;
    const tagOffset = headerOffset + FRAME_HEADER_LENGTH;
    framing.set(cipher.getAuthTag(), tagOffset);
    writeFrameHeader(framing, headerOffset, { sequence, ciphertextLength: block.length + GCM_TAG_LENGTH, crc: 0 });
    const crc = crc32(
      framing.subarray(tagOffset, tagOffset + GCM_TAG_LENGTH),
      crc32(ciphertext, crc32(framing.subarray(headerOffset, headerOffset + 12))),
    );
    framing.writeUInt32LE(crc, headerOffset + 12);
    ciphertexts.push(ciphertext);
  }
  return { framing, ciphertexts };
}

/** The sealed blocks as consecutive stream bytes: header 0, ciphertext 0, tag 0 ‖ header 1, …, last tag. */
export function streamPartsOf(sealed: SealedBlocks): Buffer[] {
  if ('frames' in sealed) return sealed.frames.length > 0 ? [sealed.frames] : [];
  const { framing, ciphertexts } = sealed;
  if (ciphertexts.length === 0) return [];
  const parts: Buffer[] = [framing.subarray(0, FRAME_HEADER_LENGTH)];
  for (let i = 0; i < ciphertexts.length; i++) {
    const tagOffset = i * FRAME_OVERHEAD + FRAME_HEADER_LENGTH;
    const nextHeaderEnd = Math.min(framing.length, tagOffset + FRAME_OVERHEAD);
    parts.push(ciphertexts[i]!, framing.subarray(tagOffset, nextHeaderEnd));
  }
  return parts;
}

/** `sealBlocks` as one contiguous buffer of frames, for single blocks and tests. */
export function sealFrames(keys: KeyMaterial, firstSequence: number, plaintext: Uint8Array, blockSize: number): Buffer {
  return Buffer.concat(streamPartsOf(sealBlocks(keys, firstSequence, plaintext, blockSize)));
}

/**
 * Authenticates and decrypts the frame at `frameOffset`. Throws before returning any plaintext if its
 * header is unusable, or the CRC (when present) or the GCM tag does not match.
 */
export function openFrame(keys: KeyMaterial, frames: Uint8Array, frameOffset: number): Buffer {
  const header = frameHeaderAt(frames, frameOffset, frames.length - frameOffset);
  if (header instanceof CodecError) throw header;
  return openCheckedFrame(keys, frames, frameOffset, header);
}

/** `openFrame` for a frame whose header `frameHeaderAt` has already accepted. */
function openCheckedFrame(keys: KeyMaterial, frames: Uint8Array, frameOffset: number, header: FrameHeader): Buffer {
  const { sequence, ciphertextLength, crc } = header;
  if (crc !== 0 && frameCrc(frames, frameOffset, ciphertextLength) !== crc) throw crcMismatch(sequence);
  const bodyStart = frameOffset + FRAME_HEADER_LENGTH;
  const tagStart = bodyStart + ciphertextLength - GCM_TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', keys.key, blockIv(keys.iv, sequence), {
    authTagLength: GCM_TAG_LENGTH,
  });
  decipher.setAAD(sequenceAad(sequence));
  decipher.setAuthTag(frames.subarray(tagStart, tagStart + GCM_TAG_LENGTH));
  const plaintext = decipher.update(frames.subarray(bodyStart, tagStart));
  try {
    decipher.final();
  } catch {
    throw tamperedBlock(sequence);
  }
  return plaintext;
}

export function crcMismatch(sequence: number): CodecError {
  return new CodecError('CRC_MISMATCH', `block ${sequence} is corrupt: its CRC does not match`, sequence);
}

/** Bytes where no further block can be: after the announced size, or not starting as a block does. */
export function trailingData(length: number, sequence: number): CodecError {
  const end = sequence > 0 ? `its last block (block ${sequence - 1})` : 'its magic bytes';
  return new CodecError(
    'TRAILING_DATA',
    `the stream has ${length} extra bytes after ${end}: they are not part of the file`,
    sequence,
  );
}

export function tamperedBlock(sequence: number): CodecError {
  return new CodecError(
    'TAMPERED_BLOCK',
    `block ${sequence} failed authentication: the key is wrong or the data was altered`,
    sequence,
  );
}

/**
 * The header of the frame at `offset` when a whole frame starts there (`available` bytes from
 * `offset` on belong to the batch), or why not, as the error opening it must report.
 */
export function frameHeaderAt(bytes: Uint8Array, offset: number, available: number): FrameHeader | CodecError {
  if (available < FRAME_HEADER_LENGTH) {
    return new CodecError('TRUNCATED', 'the ciphertext ends inside a block header');
  }
  const header = readFrameHeader(bytes, offset);
  if (header === undefined) {
    return new CodecError('BAD_REGISTRATION_CODE', 'a block does not start with the registration code');
  }
  const { sequence, ciphertextLength } = header;
  if (ciphertextLength < GCM_TAG_LENGTH) {
    // Too short to hold a tag: nothing in it can authenticate.
    return new CodecError('TAMPERED_BLOCK', `block ${sequence} is too short to hold its authentication tag`, sequence);
  }
  if (available - FRAME_HEADER_LENGTH < ciphertextLength) {
    return new CodecError('TRUNCATED', `the ciphertext ends in the middle of block ${sequence}`, sequence);
  }
  return header;
}

/** The result of opening a batch: the plaintext of every block that authenticated, and why it stopped. */
export interface OpenedBlocks {
  /**
   * Plaintext of the blocks before `failure` (all of them when there is none), in order: one buffer
   * per block from node:crypto, one for the whole batch from the native cipher.
   */
  readonly plaintexts: readonly Buffer[];
  readonly failure?: CodecError;
  /**
   * The native cipher's: the memory its plaintext lies at the start of, referenced by nothing else;
   * once its user has finished with the plaintext it may be handed back (FrameCipher.reuse).
   */
  readonly storage?: ArrayBuffer;
}

/**
 * Opens `count` consecutive, already-validated frames laid end to end in `frames`. Stops at the
 * first block that fails and reports it, keeping the plaintext of the authenticated blocks before it.
 * Each block's plaintext stays in the buffer Node's decipher returned, uncopied.
 */
export function openFrames(keys: KeyMaterial, frames: Uint8Array | readonly Uint8Array[], count: number): OpenedBlocks {
  const input = queueOf(frames);
  const plaintexts: Buffer[] = [];
  for (let i = 0; i < count && input.length > 0; i++) {
    const header = frameHeaderAt(input.peek(0, Math.min(input.length, FRAME_HEADER_LENGTH)), 0, input.length);
    if (header instanceof CodecError) return { plaintexts, failure: header };
    let plaintext: Buffer;
    try {
      plaintext = openCheckedFrame(
        keys,
        input.takeContiguous(FRAME_HEADER_LENGTH + header.ciphertextLength),
        0,
        header,
      );
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      return { plaintexts, failure: error };
    }
    plaintexts.push(plaintext);
  }
  return { plaintexts };
}

/**
 * One implementation of the per-block work: node:crypto (this file) or the native batch cipher
 * (native-block-cipher.ts). Both produce the same bytes and the same refusals; which one runs is
 * chosen in block-cipher-choice.ts.
 */
export interface BlockCipher {
  readonly name: 'native' | 'node:crypto';
  /**
   * `spare`, when given, is memory the result may be written into instead of a fresh allocation
   * (see SpareBuffers); the native cipher uses it when it is large enough, node:crypto never (its
   * API cannot write into a caller's memory).
   */
  sealBlocks(
    keys: KeyMaterial,
    firstSequence: number,
    plaintext: Uint8Array | readonly Uint8Array[],
    blockSize: number,
    spare?: ArrayBuffer,
  ): SealedBlocks;
  openFrames(
    keys: KeyMaterial,
    frames: Uint8Array | readonly Uint8Array[],
    count: number,
    spare?: ArrayBuffer,
  ): OpenedBlocks;
}

export const nodeBlockCipher: BlockCipher = { name: 'node:crypto', sealBlocks, openFrames };
