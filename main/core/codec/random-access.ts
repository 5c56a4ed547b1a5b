import { BlockLayout, plaintextSizeFromCiphertextSize } from '../../../shared/msc4016/block-layout.js';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  FRAME_HEADER_LENGTH,
  GCM_TAG_LENGTH,
  MAGIC,
  MAX_BLOCK_COUNT,
  MAX_PLAINTEXT_BLOCK_SIZE,
  REGISTRATION_CODE,
  type FrameHeader,
  couldBeginFrame,
  hasMagic,
  isPlausibleCiphertextLength,
  readFrameHeader,
} from '../../../shared/msc4016/frame.js';
import { frameCrc, openFrame, trailingData } from './block-cipher.js';
import type { KeyMaterial } from './key-material.js';
import { decryptV3 } from './v3-decryptor.js';

/** Ciphertext that can be read at any offset: a file, or an HTTP resource read with Range requests. */
export interface RandomAccessCiphertext {
  readonly size: number;
  /** Bytes `start` up to but excluding `end`; fewer only at the end of the resource. */
  read(start: number, end: number): Promise<Buffer>;
}

/** Authenticates and decrypts a single frame, checking that it is the block the caller asked for. */
export function decryptBlock(keys: KeyMaterial, frame: Uint8Array, expectedSequence: number): Buffer {
  const header = readFrameHeader(frame, 0);
  if (header === undefined) {
    throw new CodecError(
      'BAD_REGISTRATION_CODE',
      `block ${expectedSequence} does not start with the registration code`,
    );
  }
  if (header.sequence !== expectedSequence) {
    throw new CodecError(
      'OUT_OF_ORDER_BLOCK',
      `asked for block ${expectedSequence} but got block ${header.sequence}`,
      expectedSequence,
    );
  }
  if (frame.length !== FRAME_HEADER_LENGTH + header.ciphertextLength) {
    throw new CodecError('TRUNCATED', `block ${expectedSequence} is incomplete`, expectedSequence);
  }
  return openFrame(keys, frame, 0);
}

export interface SynchronisedFrame {
  readonly offset: number;
  readonly header: FrameHeader;
}

/**
 * Finds the first genuine frame at or after `from` in `buffer`, for a reader that lands at an
 * arbitrary offset of a stream with variable block sizes. The registration code can occur inside
 * ciphertext by chance, so a candidate counts only once confirmed: by its CRC when the writer set
 * one, otherwise by authenticating the block, whose IV and AAD bind its sequence number.
 *
 * Work is bounded for hostile input: a CRC-less candidate is tried with GCM only if the frame it
 * claims to be is followed by the end of the buffer or by another registration code, and at most
 * `maxAuthentications` candidates are tried that way.
 */
export function resynchronise(
  buffer: Uint8Array,
  from: number,
  keys: KeyMaterial,
  maxBlockSize = MAX_PLAINTEXT_BLOCK_SIZE,
  maxAuthentications = 16,
): SynchronisedFrame | undefined {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let authentications = 0;
  for (let offset = from; offset + FRAME_HEADER_LENGTH <= buffer.length; offset++) {
    if (view.getUint32(offset, true) !== REGISTRATION_CODE) continue;
    const header = readFrameHeader(buffer, offset)!;
    if (!isPlausibleCiphertextLength(header.ciphertextLength, maxBlockSize)) continue;
    const next = offset + FRAME_HEADER_LENGTH + header.ciphertextLength;
    if (next > buffer.length) continue;
    if (header.crc !== 0) {
      if (frameCrc(buffer, offset, header.ciphertextLength) === header.crc) return { offset, header };
      continue;
    }
    const followedByFrame =
      next === buffer.length || (next + 4 <= buffer.length && view.getUint32(next, true) === REGISTRATION_CODE);
    if (!followedByFrame) continue;
    if (++authentications > maxAuthentications) return undefined;
    try {
      openFrame(keys, buffer, offset);
      return { offset, header };
    } catch {
      // Not a frame after all; keep hunting.
    }
  }
  return undefined;
}

/** Where each block of a stream sits, for streams whose blocks differ in size. */
export interface BlockIndex {
  readonly plaintextSize: number;
  /** Ciphertext offset of each frame, then one past the end. */
  readonly frameStarts: readonly number[];
  /** Plaintext offset of each block, then the plaintext size. */
  readonly plaintextStarts: readonly number[];
}

/** Bytes read at once while walking headers: small frames are walked from memory, not one read each. */
const INDEX_WINDOW = 256 * 1024;

/**
 * Walks the frame headers (never decrypting) to index a stream of variable-size blocks. Reads come
 * in windows, so a stream of many tiny blocks costs few reads; the lengths are unauthenticated until
 * the blocks are opened, which every read does.
 */
export async function buildBlockIndex(
  ciphertext: RandomAccessCiphertext,
  maxBlockSize = MAX_PLAINTEXT_BLOCK_SIZE,
): Promise<BlockIndex> {
  const frameStarts: number[] = [];
  const plaintextStarts: number[] = [];
  let offset = MAGIC.length;
  let plaintext = 0;
  let window: Buffer = Buffer.alloc(0);
  let windowStart = 0;
  while (offset < ciphertext.size) {
    const sequence = frameStarts.length;
    if (sequence >= MAX_BLOCK_COUNT) throw new CodecError('TOO_MANY_BLOCKS', 'the stream has more than 2^32 blocks');
    if (offset < windowStart || offset + FRAME_HEADER_LENGTH > windowStart + window.length) {
      window = await ciphertext.read(offset, offset + INDEX_WINDOW);
      windowStart = offset;
    }
    const header = readFrameHeader(window, offset - windowStart);
    const remaining = ciphertext.size - offset;
    if (header === undefined && remaining < FRAME_HEADER_LENGTH) {
      const rest = window.subarray(offset - windowStart, offset - windowStart + remaining);
      if (!couldBeginFrame(rest)) throw trailingData(remaining, sequence);
      throw new CodecError('TRUNCATED', `the stream ends inside the header of block ${sequence}`, sequence);
    }
    if (header === undefined) {
      throw new CodecError(
        'BAD_REGISTRATION_CODE',
        `block ${sequence} does not start with the registration code`,
        sequence,
      );
    }
    if (header.sequence !== sequence) {
      throw new CodecError(
        'OUT_OF_ORDER_BLOCK',
        `expected block ${sequence} but found block ${header.sequence}`,
        sequence,
      );
    }
    if (!isPlausibleCiphertextLength(header.ciphertextLength, maxBlockSize)) {
      throw new CodecError('BLOCK_TOO_LARGE', `block ${sequence} claims an impossible length`, sequence);
    }
    frameStarts.push(offset);
    plaintextStarts.push(plaintext);
    offset += FRAME_HEADER_LENGTH + header.ciphertextLength;
    plaintext += header.ciphertextLength - GCM_TAG_LENGTH;
  }
  if (offset !== ciphertext.size) {
    throw new CodecError('TRUNCATED', `the stream ends in the middle of block ${frameStarts.length - 1}`);
  }
  frameStarts.push(offset);
  plaintextStarts.push(plaintext);
  return { plaintextSize: plaintext, frameStarts, plaintextStarts };
}

/**
 * How a reader maps plaintext offsets to frames: arithmetic when blocks are uniform (declared by the
 * sender, or `inferred` from the first frame and so only a well-checked guess), else an index.
 */
export type StreamMap =
  { kind: 'uniform'; layout: BlockLayout; inferred: boolean } | { kind: 'indexed'; index: BlockIndex };

/**
 * Learns how a complete stream is laid out, reading as little as possible: the declared block size
 * when the `file` block has one; otherwise the first frame's size, confirmed against the stream's
 * length and the last frame's header; otherwise (variable blocks) a header walk.
 */
export async function mapStream(
  ciphertext: RandomAccessCiphertext,
  declaredBlockSize: number | undefined,
  expectedSize: number | undefined,
): Promise<StreamMap> {
  const empty: StreamMap = { kind: 'uniform', layout: new BlockLayout(1, 0), inferred: false };
  if (ciphertext.size === 0) return checkedSize(empty, expectedSize);
  const start = await ciphertext.read(0, MAGIC.length + FRAME_HEADER_LENGTH);
  if (start.length < MAGIC.length || !hasMagic(start)) {
    throw new CodecError('BAD_MAGIC', 'this is not an MSC4016 v3 stream: the magic bytes "MXC\\x03" are missing');
  }
  if (ciphertext.size === MAGIC.length) return checkedSize(empty, expectedSize);
  const first = start.length === MAGIC.length + FRAME_HEADER_LENGTH ? readFrameHeader(start, MAGIC.length) : undefined;
  const blockSize = declaredBlockSize ?? (first ? first.ciphertextLength - GCM_TAG_LENGTH : undefined);
  if (blockSize !== undefined && blockSize >= 1 && blockSize <= MAX_PLAINTEXT_BLOCK_SIZE) {
    const plaintextSize = plaintextSizeFromCiphertextSize(ciphertext.size, blockSize);
    if (plaintextSize !== undefined) {
      const layout = new BlockLayout(blockSize, plaintextSize);
      const last = layout.blockCount - 1;
      const lastStart = layout.frameStartOf(last);
      const lastHeaderBytes = await ciphertext.read(lastStart, lastStart + FRAME_HEADER_LENGTH);
      const lastHeader =
        lastHeaderBytes.length === FRAME_HEADER_LENGTH ? readFrameHeader(lastHeaderBytes, 0) : undefined;
      const fits =
        lastHeader?.sequence === last &&
        lastHeader.ciphertextLength === layout.frameLengthOf(last) - FRAME_HEADER_LENGTH;
      const inferred = declaredBlockSize === undefined;
      // A guessed layout that contradicts the announced size is dropped for the index below.
      if (fits && (!inferred || expectedSize === undefined || expectedSize === plaintextSize)) {
        return checkedSize({ kind: 'uniform', layout, inferred }, expectedSize);
      }
    }
    if (declaredBlockSize !== undefined) {
      throw new CodecError(
        'BLOCK_SIZE_MISMATCH',
        `the stream's length does not fit its declared ${declaredBlockSize}-byte blocks: it is cut short or altered`,
      );
    }
  }
  const index = await buildBlockIndex(ciphertext);
  return checkedSize({ kind: 'indexed', index }, expectedSize);
}

/** The expected size (`info.size`) is checked once the layout is known, with the right diagnosis. */
function checkedSize(map: StreamMap, expectedSize: number | undefined): StreamMap {
  const size = plaintextSizeOf(map);
  if (expectedSize === undefined || size === expectedSize) return map;
  throw new CodecError(
    size < expectedSize ? 'TRUNCATED' : 'TOO_LONG',
    `the stream holds ${size} bytes, not the expected ${expectedSize}`,
  );
}

/** The frames covering plaintext bytes first..last (inclusive), as a ciphertext span and block numbers. */
function framesFor(map: StreamMap, first: number, last: number) {
  if (map.kind === 'uniform') {
    const { blocks, bytes } = map.layout.ciphertextRangeFor(first, last);
    return {
      firstBlock: blocks[0],
      start: bytes[0],
      end: bytes[1] + 1,
      plaintextStart: map.layout.plaintextStartOf(blocks[0]),
    };
  }
  const { plaintextStarts, frameStarts } = map.index;
  const blockOf = (offset: number): number => {
    // Greatest block whose plaintext starts at or before `offset`.
    let low = 0;
    let high = plaintextStarts.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (plaintextStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const firstBlock = blockOf(first);
  const lastBlock = blockOf(last);
  return {
    firstBlock,
    start: frameStarts[firstBlock]!,
    end: frameStarts[lastBlock + 1]!,
    plaintextStart: plaintextStarts[firstBlock]!,
  };
}

export function plaintextSizeOf(map: StreamMap): number {
  return map.kind === 'uniform' ? map.layout.plaintextSize : map.index.plaintextSize;
}

/**
 * Decrypts plaintext bytes `first`..`last` (inclusive) of a complete stream, reading only the frames
 * that hold them. Every byte returned comes from a block that authenticated as the block expected at
 * that position.
 */
export async function* readPlaintextRange(
  ciphertext: RandomAccessCiphertext,
  keys: KeyMaterial,
  map: StreamMap,
  first: number,
  last: number,
): AsyncGenerator<Buffer> {
  const size = plaintextSizeOf(map);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 0 || last < first || last >= size) {
    throw new RangeError(`the range ${first}-${last} is outside the ${size}-byte file`);
  }
  let position = first;
  try {
    for await (const bytes of readMapped(ciphertext, keys, map, first, last)) {
      position += bytes.length;
      yield bytes;
    }
  } catch (error) {
    if (!(error instanceof CodecError) || map.kind !== 'uniform' || !map.inferred) throw error;
    // Every requested byte already arrived authenticated; the fault lies beyond the request.
    if (position > last) return;
    // The first frame suggested constant blocks, but the stream's frames are not where that puts
    // them (variable sizes that happen to add up, or damage). What was delivered is still right: an
    // authenticated block i found at the uniform offset starts at plaintext byte i × blockSize. Index
    // the headers and continue; the indexed read's verdict is final.
    const index = await buildBlockIndex(ciphertext);
    yield* readPlaintextRange(ciphertext, keys, { kind: 'indexed', index }, position, last);
  }
}

async function* readMapped(
  ciphertext: RandomAccessCiphertext,
  keys: KeyMaterial,
  map: StreamMap,
  first: number,
  last: number,
): AsyncGenerator<Buffer> {
  const span = framesFor(map, first, last);
  const frames = readSpan(ciphertext, span.start, span.end);
  let position = span.plaintextStart;
  for await (const plaintext of decryptV3(frames, {
    keys,
    firstSequence: span.firstBlock,
    expectMagic: false,
    blockSize: map.kind === 'uniform' ? map.layout.blockSize : undefined,
  })) {
    const from = Math.max(first - position, 0);
    const to = Math.min(last + 1 - position, plaintext.length);
    if (to > from) yield plaintext.subarray(from, to);
    position += plaintext.length;
  }
  if (position <= last) throw new CodecError('TRUNCATED', 'the stream ended before the requested range');
}

async function* readSpan(ciphertext: RandomAccessCiphertext, start: number, end: number): AsyncGenerator<Buffer> {
  const step = 1024 * 1024;
  for (let offset = start; offset < end; offset += step) {
    const bytes = await ciphertext.read(offset, Math.min(end, offset + step));
    if (bytes.length === 0) return;
    yield bytes;
  }
}
