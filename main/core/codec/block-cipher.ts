import { createCipheriv, createDecipheriv } from 'node:crypto';
// zlib's CRC-32 ran at 2.6 GB/s here, as slow as AES-GCM itself; this SIMD build of the same CRC
// runs at 7 GB/s (bench/codec.ts), so the CRC stops halving throughput.
import { crc32 } from '@node-rs/crc32';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  FRAME_HEADER_LENGTH,
  FRAME_OVERHEAD,
  GCM_TAG_LENGTH,
  MAX_BLOCK_COUNT,
  readFrameHeader,
  writeFrameHeader,
} from '../../../shared/msc4016/frame.js';
import type { KeyMaterial } from './key-material.js';

/**
 * The AES-256-GCM part of MSC4016 v3, one block at a time, kept apart from stream handling so that
 * the same functions run inline or in a worker thread.
 *
 * Block i is sealed with IV = u32le(i) ‖ iv and AAD = u32le(i). Binding the sequence number into both
 * means a block moved to another position fails its tag: reordering, repetition and splicing are
 * caught by the cipher, not only by the header check.
 */

function blockIv(baseIv: Uint8Array, sequence: number): Buffer {
  const iv = Buffer.allocUnsafe(4 + baseIv.length);
  iv.writeUInt32LE(sequence, 0);
  iv.set(baseIv, 4);
  return iv;
}

function sequenceAad(sequence: number): Buffer {
  const aad = Buffer.allocUnsafe(4);
  aad.writeUInt32LE(sequence, 0);
  return aad;
}

/** CRC-32 (zlib) over the header's first twelve bytes and the ciphertext, as the CRC field defines it. */
export function frameCrc(frame: Uint8Array, frameOffset: number, ciphertextLength: number): number {
  const headerStart = frame.subarray(frameOffset, frameOffset + 12);
  const body = frame.subarray(frameOffset + FRAME_HEADER_LENGTH, frameOffset + FRAME_HEADER_LENGTH + ciphertextLength);
  return crc32(body, crc32(headerStart));
}

/**
 * Encrypts `plaintext` as consecutive frames of `blockSize` plaintext bytes (the last may be shorter)
 * numbered from `firstSequence`, and returns them as one buffer.
 */
export function sealFrames(keys: KeyMaterial, firstSequence: number, plaintext: Uint8Array, blockSize: number): Buffer {
  const blockCount = Math.ceil(plaintext.length / blockSize);
  if (firstSequence + blockCount > MAX_BLOCK_COUNT) {
    throw new CodecError(
      'TOO_MANY_BLOCKS',
      'the file needs more than 2^32 blocks; encrypt it with a larger block size',
      MAX_BLOCK_COUNT,
    );
  }
  const output = Buffer.allocUnsafe(plaintext.length + blockCount * FRAME_OVERHEAD);
  let written = 0;
  for (let i = 0; i < blockCount; i++) {
    const sequence = firstSequence + i;
    const block = plaintext.subarray(i * blockSize, Math.min(plaintext.length, (i + 1) * blockSize));
    const cipher = createCipheriv('aes-256-gcm', keys.key, blockIv(keys.iv, sequence), {
      authTagLength: GCM_TAG_LENGTH,
    });
    cipher.setAAD(sequenceAad(sequence));
    const bodyStart = written + FRAME_HEADER_LENGTH;
    const encrypted = cipher.update(block);
    output.set(encrypted, bodyStart);
    const tail = cipher.final();
    output.set(tail, bodyStart + encrypted.length);
    output.set(cipher.getAuthTag(), bodyStart + block.length);
    const ciphertextLength = block.length + GCM_TAG_LENGTH;
    writeFrameHeader(output, written, { sequence, ciphertextLength, crc: 0 });
    output.writeUInt32LE(frameCrc(output, written, ciphertextLength), written + 12);
    written += FRAME_HEADER_LENGTH + ciphertextLength;
  }
  return output;
}

/**
 * Authenticates and decrypts one frame whose header has already been read. Throws before returning
 * any plaintext if the CRC (when present) or the GCM tag does not match.
 */
export function openFrame(keys: KeyMaterial, frames: Uint8Array, frameOffset: number): Buffer {
  const header = readFrameHeader(frames, frameOffset);
  if (header === undefined) {
    throw new CodecError('BAD_REGISTRATION_CODE', 'a block does not start with the registration code');
  }
  const { sequence, ciphertextLength, crc } = header;
  if (crc !== 0 && frameCrc(frames, frameOffset, ciphertextLength) !== crc) {
    throw new CodecError('CRC_MISMATCH', `block ${sequence} is corrupt: its CRC does not match`, sequence);
  }
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
    throw new CodecError(
      'TAMPERED_BLOCK',
      `block ${sequence} failed authentication: the key is wrong or the data was altered`,
      sequence,
    );
  }
  return plaintext;
}

/** The result of opening a batch: the plaintext of every block that authenticated, and why it stopped. */
export interface OpenedFrames {
  /** Plaintext of the blocks before `failure` (all of them when there is none). */
  readonly plaintext: Buffer;
  readonly failure?: CodecError;
}

/**
 * Opens `count` consecutive, already-validated frames laid end to end in `frames`. Stops at the
 * first block that fails and reports it, keeping the plaintext of the authenticated blocks before it.
 */
export function openFrames(keys: KeyMaterial, frames: Uint8Array, count: number): OpenedFrames {
  const plaintextLength = frames.length - count * FRAME_OVERHEAD;
  const output = Buffer.allocUnsafe(plaintextLength);
  let frameOffset = 0;
  let written = 0;
  for (let i = 0; i < count; i++) {
    let plaintext: Buffer;
    try {
      plaintext = openFrame(keys, frames, frameOffset);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      return { plaintext: output.subarray(0, written), failure: error };
    }
    output.set(plaintext, written);
    written += plaintext.length;
    frameOffset += FRAME_OVERHEAD + plaintext.length;
  }
  // Never hand out bytes of the uninitialised buffer, even if a caller's count was wrong.
  return { plaintext: output.subarray(0, written) };
}
