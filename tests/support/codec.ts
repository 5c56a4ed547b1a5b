import { randomBytes } from 'node:crypto';
import type { FrameCipher } from '../../main/core/codec/frame-cipher.js';
import type { KeyMaterial } from '../../main/core/codec/key-material.js';
import { decryptV3, type V3DecryptOptions } from '../../main/core/codec/v3-decryptor.js';
import { encryptV3 } from '../../main/core/codec/v3-encryptor.js';
import { FRAME_HEADER_LENGTH, MAGIC } from '../../shared/msc4016/frame.js';
import { crc32 } from '@node-rs/crc32';

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Splits a buffer into chunks of the given sizes (cycled), as a network or file stream would. */
export function* chunked(data: Buffer, sizes: readonly number[] = [data.length || 1]): Generator<Buffer> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

export async function encryptBuffer(
  plaintext: Buffer,
  keys: KeyMaterial,
  blockSize: number,
  cipher?: FrameCipher,
  inputChunks?: readonly number[],
): Promise<Buffer> {
  return collect(encryptV3(chunked(plaintext, inputChunks), { keys, blockSize, cipher }));
}

/** Decrypts, returning the plaintext delivered before any error together with that error. */
export async function decryptCapturing(
  ciphertext: Buffer,
  options: V3DecryptOptions,
  inputChunks?: readonly number[],
): Promise<{ plaintext: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of decryptV3(chunked(ciphertext, inputChunks), options)) chunks.push(Buffer.from(chunk));
    return { plaintext: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { plaintext: Buffer.concat(chunks), error };
  }
}

/** Splits a v3 stream into its frames (magic dropped), trusting the length fields. */
export function framesOf(ciphertext: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let offset = MAGIC.length;
  while (offset < ciphertext.length) {
    const length = FRAME_HEADER_LENGTH + ciphertext.readUInt32LE(offset + 8);
    frames.push(ciphertext.subarray(offset, offset + length));
    offset += length;
  }
  return frames;
}

export function joinFrames(frames: readonly Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(MAGIC), ...frames]);
}

/** Rewrites a frame's CRC so that a deliberate change reaches the GCM check instead of the CRC check. */
export function withFixedCrc(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  const length = copy.readUInt32LE(8);
  copy.writeUInt32LE(
    crc32(copy.subarray(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + length), crc32(copy.subarray(0, 12))),
    12,
  );
  return copy;
}

export function randomPlaintext(size: number): Buffer {
  return randomBytes(size);
}

/** XORs one byte in place, for tamper tests. */
export function flipBits(buffer: Buffer, index: number, mask: number): void {
  buffer.writeUInt8(buffer.readUInt8(index) ^ mask, index);
}
