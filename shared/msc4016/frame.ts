/**
 * The MSC4016 v3 stream framing, independent of any cipher or runtime.
 *
 * Stream  = MAGIC ‖ Frame*
 * Frame   = REGISTRATION_CODE ‖ u32le(sequence) ‖ u32le(ciphertextLength) ‖ u32le(crc32) ‖ ciphertext‖tag
 *
 * Every integer is little-endian, as the upstream reference writes them.
 */

/** "MXC" followed by the format version 0x03. */
export const MAGIC = Uint8Array.of(0x4d, 0x58, 0x43, 0x03);

/** Marks the start of every frame so a reader that lands mid-stream can find the next one. */
export const REGISTRATION_CODE = 0xffffffff;

export const FRAME_HEADER_LENGTH = 16;
export const GCM_TAG_LENGTH = 16;
/** Bytes a frame adds to its plaintext: the header and the GCM tag. */
export const FRAME_OVERHEAD = FRAME_HEADER_LENGTH + GCM_TAG_LENGTH;

/** Sequence numbers are u32 and must never wrap: a wrapped number would reuse a block IV under the same key. */
export const MAX_BLOCK_COUNT = 2 ** 32;

/**
 * The largest plaintext block a reader accepts. A frame header is unauthenticated until its block is
 * opened, so a reader must bound the length it will buffer before trusting it.
 */
export const MAX_PLAINTEXT_BLOCK_SIZE = 16 * 1024 * 1024;

/** Chosen from `npm run bench:codec`; the reasoning is in docs/PROTOCOL.md. */
export const DEFAULT_PLAINTEXT_BLOCK_SIZE = 64 * 1024;

export interface FrameHeader {
  readonly sequence: number;
  /** Length of the GCM ciphertext including its 16-byte tag. */
  readonly ciphertextLength: number;
  /** zlib CRC-32 of registration code ‖ sequence ‖ length ‖ ciphertext; 0 means "not computed". */
  readonly crc: number;
}

export function writeFrameHeader(target: Uint8Array, offset: number, header: FrameHeader): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, FRAME_HEADER_LENGTH);
  view.setUint32(0, REGISTRATION_CODE, true);
  view.setUint32(4, header.sequence, true);
  view.setUint32(8, header.ciphertextLength, true);
  view.setUint32(12, header.crc, true);
}

/** Reads a header's fields; undefined when there is no room for one or no registration code at `offset`. */
export function readFrameHeader(source: Uint8Array, offset: number): FrameHeader | undefined {
  if (offset < 0 || offset + FRAME_HEADER_LENGTH > source.length) return undefined;
  const view = new DataView(source.buffer, source.byteOffset + offset, FRAME_HEADER_LENGTH);
  if (view.getUint32(0, true) !== REGISTRATION_CODE) return undefined;
  return {
    sequence: view.getUint32(4, true),
    ciphertextLength: view.getUint32(8, true),
    crc: view.getUint32(12, true),
  };
}

/**
 * Whether `bytes` could be the start of a frame, as far as they go: every frame begins with the
 * registration code, so bytes that do not are no cut-off block but something after the last one.
 */
export function couldBeginFrame(bytes: Uint8Array): boolean {
  // The registration code's bytes, little-endian as frames carry it.
  for (let i = 0; i < Math.min(4, bytes.length); i++) {
    if (bytes[i] !== (REGISTRATION_CODE >>> (8 * i)) % 256) return false;
  }
  return true;
}

export function hasMagic(source: Uint8Array, offset = 0): boolean {
  return MAGIC.every((byte, i) => source[offset + i] === byte);
}

/** True when a declared ciphertext length could belong to a block this reader accepts. */
export function isPlausibleCiphertextLength(length: number, maxPlaintextBlockSize: number): boolean {
  return length >= GCM_TAG_LENGTH && length - GCM_TAG_LENGTH <= maxPlaintextBlockSize;
}
