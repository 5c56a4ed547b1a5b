import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FRAME_OVERHEAD, MAGIC } from '../../../shared/msc4016/frame.js';
import { encodeUnpaddedBase64 } from '../codec/base64.js';
import { streamPartsOf } from '../codec/block-cipher.js';
import type { FrameCipher } from '../codec/frame-cipher.js';
import type { KeyMaterial } from '../codec/key-material.js';
import { CounterModeStream } from '../codec/v2-codec.js';
import { sealV3Blocks } from './ciphertext-source.js';
import { TransferError } from './transfer-error.js';
import type { ReceiveCheckpoint } from './transfer-record.js';

/**
 * The SHA-256 of a receive's whole ciphertext (docs/PROTOCOL.md §7), taken from the bytes as they
 * arrive, before anything else reads them. A download resumes from a block boundary that is usually
 * behind the last byte hashed, and SHA-256 cannot step back, so the digest keeps marks: copies of its
 * state at block boundaries, one every MARK_BYTES or so. A new attempt starts at the last mark at or
 * before the checkpoint it would have resumed from, asking the server again for those few MiB rather
 * than re-deriving the hash of everything before them. A paused receive leaves its mark to the next
 * run in this process (EngineContext.receiveMarks); after a restart, `rederivedMark` re-encrypts the
 * plaintext already written.
 */

/** The hash state of the stream's first `at.ciphertextOffset` bytes; never updated itself (copies are). */
export interface DigestMark {
  readonly at: ReceiveCheckpoint;
  readonly hash: Hash;
}

/** A block boundary (where a download can resume) at a ciphertext offset in (from, to], if there is one. */
export type BoundaryFinder = (from: number, to: number) => ReceiveCheckpoint | undefined;

/** About how far apart marks are: the most a resumed attempt downloads again beyond its checkpoint's lag. */
const MARK_BYTES = 4 * 1024 * 1024;

/** Where every stream begins: nothing hashed. */
export function initialMark(): DigestMark {
  return { at: { plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 }, hash: createHash('sha256') };
}

/** v2 and plain files: any 16-byte (v2) or any (plain) offset, where plaintext and ciphertext offsets are one. */
export function flatBoundaries(unit: number): BoundaryFinder {
  return (from, to) => {
    const offset = Math.floor(from / unit) * unit + unit;
    return offset <= to ? { plaintextOffset: offset, ciphertextOffset: offset, nextSequence: 0 } : undefined;
  };
}

export class ReceiveDigest {
  private readonly hash: Hash;
  private position: number;
  private sinceMark = 0;
  private readonly marks: DigestMark[];

  constructor(
    start: DigestMark,
    private readonly boundaryWithin: BoundaryFinder,
    /** The receive's durable checkpoint: no attempt resumes from before it, so older marks can go. */
    private readonly durable: () => ReceiveCheckpoint,
    private readonly markBytes = MARK_BYTES,
  ) {
    this.hash = start.hash.copy();
    this.position = start.at.ciphertextOffset;
    this.marks = [start];
  }

  /** Takes the next bytes of the stream. */
  update(chunk: Uint8Array): void {
    const end = this.position + chunk.length;
    const boundary =
      this.sinceMark + chunk.length >= this.markBytes ? this.boundaryWithin(this.position, end) : undefined;
    if (boundary === undefined) {
      this.hash.update(chunk);
      this.sinceMark += chunk.length;
    } else {
      const split = boundary.ciphertextOffset - this.position;
      this.hash.update(chunk.subarray(0, split));
      this.keep({ at: boundary, hash: this.hash.copy() });
      this.hash.update(chunk.subarray(split));
      this.sinceMark = chunk.length - split;
    }
    this.position = end;
  }

  /** The furthest mark at or before `checkpoint`: where the next attempt can start with its hash known. */
  markAtOrBefore(checkpoint: ReceiveCheckpoint): DigestMark {
    return this.marks.findLast((mark) => mark.at.ciphertextOffset <= checkpoint.ciphertextOffset) ?? this.marks[0]!;
  }

  /** The SHA-256 of every byte taken (and of those before the starting mark), unpadded base64. */
  result(): string {
    return encodeUnpaddedBase64(this.hash.copy().digest());
  }

  private keep(mark: DigestMark): void {
    this.marks.push(mark);
    const durable = this.durable().ciphertextOffset;
    const needed = this.marks.findLastIndex((kept) => kept.at.ciphertextOffset <= durable);
    if (needed > 0) this.marks.splice(0, needed);
  }
}

/** What re-deriving a receive's digest needs to know about its stream. */
export interface WrittenStream {
  readonly format: 'v3' | 'v2' | 'plain';
  readonly size: number;
  readonly checkpoint: ReceiveCheckpoint;
  /** v3: the constant block size, when the event declares one. */
  readonly blockSize?: number;
  /** v3: frames this engine would not write byte for byte (transfer-record.ts `foreignFraming`). */
  readonly foreignFraming?: boolean;
  readonly keys?: KeyMaterial;
}

const READ_BYTES = 4 * 1024 * 1024;

/**
 * The mark at a receive's durable checkpoint, re-derived from the plaintext written before it (after a
 * restart): plain files are their own ciphertext; v2 is CTR, its own inverse; v3 frames are a function
 * of the key, the IV, the block number and its plaintext — when the block size is declared and the
 * sender wrote the CRCs, as Slipstream does. Any other v3 stream gets the initial mark: it is
 * downloaded again from the start, since its hash could not be known otherwise.
 */
export async function rederivedMark(
  stream: WrittenStream,
  handle: FileHandle,
  cipher: FrameCipher,
  signal: AbortSignal,
): Promise<DigestMark> {
  const at = stream.checkpoint;
  if (at.ciphertextOffset === 0) return initialMark();
  const hash = createHash('sha256');
  const length = at.plaintextOffset;
  if (stream.format === 'plain') {
    for await (const plaintext of readWritten(handle, length, READ_BYTES, signal)) hash.update(plaintext);
    return { at, hash };
  }
  if (stream.format === 'v2') {
    const counter = new CounterModeStream(stream.keys!, 'encrypt');
    for await (const plaintext of readWritten(handle, length, READ_BYTES, signal))
      hash.update(counter.update(plaintext));
    return { at, hash };
  }
  const { blockSize } = stream;
  if (stream.foreignFraming || blockSize === undefined || !isBlockBoundary(at, blockSize, stream.size)) {
    return initialMark();
  }
  hash.update(MAGIC);
  const batch = Math.max(1, Math.floor(READ_BYTES / blockSize)) * blockSize;
  let block = 0;
  for await (const plaintext of readWritten(handle, length, batch, signal)) {
    for (const sealed of await sealV3Blocks(cipher, stream.keys!, block, plaintext, blockSize)) {
      for (const part of streamPartsOf(sealed)) hash.update(part);
      if ('storage' in sealed) cipher.reuse?.(sealed.storage);
    }
    block += Math.ceil(plaintext.length / blockSize);
  }
  return { at, hash };
}

/** Whether a v3 checkpoint sits where blocks of `blockSize` put a boundary (what re-encrypting assumes). */
function isBlockBoundary(at: ReceiveCheckpoint, blockSize: number, size: number): boolean {
  return (
    at.plaintextOffset === Math.min(size, at.nextSequence * blockSize) &&
    at.ciphertextOffset === MAGIC.length + at.plaintextOffset + at.nextSequence * FRAME_OVERHEAD
  );
}

/** The first `length` bytes of a partial file, in pieces of `pieceBytes` (each piece's memory reused for the next). */
async function* readWritten(
  handle: FileHandle,
  length: number,
  pieceBytes: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(pieceBytes, Math.max(length, 1)));
  for (let position = 0; position < length;) {
    signal.throwIfAborted();
    const wanted = Math.min(buffer.length, length - position);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await handle.read(buffer, filled, wanted - filled, position + filled);
      if (bytesRead === 0) {
        throw new TransferError('DESTINATION_UNWRITABLE', 'the partial file is shorter than its recorded checkpoint');
      }
      filled += bytesRead;
    }
    yield buffer.subarray(0, wanted);
    position += wanted;
  }
}
