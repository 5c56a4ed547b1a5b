import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  FRAME_HEADER_LENGTH,
  GCM_TAG_LENGTH,
  MAGIC,
  MAX_BLOCK_COUNT,
  MAX_PLAINTEXT_BLOCK_SIZE,
  couldBeginFrame,
  hasMagic,
  isPlausibleCiphertextLength,
  readFrameHeader,
} from '../../../shared/msc4016/frame.js';
import { trailingData, type OpenedBlocks } from './block-cipher.js';
import { ChunkQueue } from './chunk-queue.js';
import { DEFAULT_BATCH_BYTES, type FrameCipher, type YieldedBufferReuse, inlineFrameCipher } from './frame-cipher.js';
import type { ByteSource, KeyMaterial } from './key-material.js';
import { OrderedPipeline } from './ordered-pipeline.js';

export interface V3DecryptOptions extends YieldedBufferReuse {
  readonly keys: KeyMaterial;
  /**
   * The plaintext size the sender announced (`info.size`). The frame format cannot tell a stream cut
   * at a block boundary from a complete one; with this, a short stream is an error, not a file.
   */
  readonly expectedSize?: number;
  /** The sender's constant block size, when known: any other non-final block size is refused. */
  readonly blockSize?: number;
  /** Refuse blocks larger than this before buffering them. */
  readonly maxBlockSize?: number;
  /** For a stream that starts at a frame in the middle of a file (a Range read): its first sequence number. */
  readonly firstSequence?: number;
  /** Whether the stream starts with the magic; true exactly when reading from the beginning. */
  readonly expectMagic?: boolean;
  /** Plaintext bytes before `firstSequence`, for the expected-size check of a mid-file read. */
  readonly plaintextOffset?: number;
  readonly cipher?: FrameCipher;
  readonly maxBatchBytes?: number;
}

/**
 * Decrypts an MSC4016 v3 stream. Fails closed: a block's plaintext is yielded only after its CRC (if
 * set) and GCM tag verified, and the first problem ends the stream with a CodecError.
 */
export async function* decryptV3(source: ByteSource, options: V3DecryptOptions): AsyncGenerator<Buffer> {
  const maxBlockSize = Math.min(options.maxBlockSize ?? MAX_PLAINTEXT_BLOCK_SIZE, MAX_PLAINTEXT_BLOCK_SIZE);
  const declaredBlockSize = options.blockSize;
  if (declaredBlockSize !== undefined && declaredBlockSize > maxBlockSize) {
    throw new CodecError(
      'BLOCK_TOO_LARGE',
      `the declared block size ${declaredBlockSize} exceeds the limit ${maxBlockSize}`,
    );
  }
  const cipher = options.cipher ?? inlineFrameCipher;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_BATCH_BYTES;
  const expectedSize = options.expectedSize;
  const firstSequence = options.firstSequence ?? 0;
  const pipeline = new OrderedPipeline<OpenedBlocks>(cipher.batchesInFlight);
  const pending = new ChunkQueue();
  let awaitingMagic = options.expectMagic ?? firstSequence === 0;
  let sawAnyByte = false;
  let nextSequence = firstSequence;
  let plaintextSeen = options.plaintextOffset ?? 0;
  let shortBlockSeen: number | undefined;
  /** A header fault found behind complete frames; raised once those frames have been delivered. */
  let headerFault: CodecError | undefined;

  /** Whether every byte `info.size` announced has been framed: anything further is trailing data. */
  const isComplete = (): boolean => expectedSize !== undefined && plaintextSeen >= expectedSize;

  /** Complete frames whose headers passed, waiting to be handed to the cipher as one batch. */
  const scanned = { bytes: 0, count: 0 };

  /**
   * Checks the headers of as many further complete frames as are buffered, adding them to `scanned`.
   * Header checks happen here, before any cipher work, so a lying length is never buffered and a gap
   * is reported at the block where it occurs.
   */
  const scanCompleteFrames = (): void => {
    try {
      scanInto(scanned);
    } catch (error) {
      // Frames before the fault are sound: deliver them first, raise the fault after.
      if (!(error instanceof CodecError) || scanned.count === 0) throw error;
      headerFault = error;
    }
  };

  const submitScanned = (): void => {
    pipeline.push(cipher.openBlocks(options.keys, pending.take(scanned.bytes), scanned.count));
    nextSequence += scanned.count;
    scanned.bytes = 0;
    scanned.count = 0;
  };

  function scanInto(batch: { bytes: number; count: number }): void {
    while (pending.length - batch.bytes >= FRAME_HEADER_LENGTH && batch.bytes < maxBatchBytes) {
      const offset = batch.bytes;
      const count = batch.count;
      const header = readFrameHeader(pending.peek(offset, FRAME_HEADER_LENGTH), 0);
      const sequence = nextSequence + count;
      if (header === undefined && isComplete()) throw trailingData(pending.length - offset, sequence);
      if (header === undefined) {
        throw new CodecError(
          'BAD_REGISTRATION_CODE',
          `block ${sequence} does not start with the registration code`,
          sequence,
        );
      }
      if (sequence >= MAX_BLOCK_COUNT) {
        throw new CodecError('TOO_MANY_BLOCKS', 'the stream continues past 2^32 blocks', sequence);
      }
      if (header.sequence !== sequence) {
        throw new CodecError(
          'OUT_OF_ORDER_BLOCK',
          `expected block ${sequence} but found block ${header.sequence}: blocks are missing, repeated or reordered`,
          sequence,
        );
      }
      if (!isPlausibleCiphertextLength(header.ciphertextLength, maxBlockSize)) {
        throw new CodecError(
          'BLOCK_TOO_LARGE',
          `block ${sequence} claims ${header.ciphertextLength} bytes, outside the accepted 16..${maxBlockSize + GCM_TAG_LENGTH}`,
          sequence,
        );
      }
      const plaintextLength = header.ciphertextLength - GCM_TAG_LENGTH;
      if (declaredBlockSize !== undefined) {
        if (shortBlockSeen !== undefined || plaintextLength > declaredBlockSize) {
          throw new CodecError(
            'BLOCK_SIZE_MISMATCH',
            `block ${sequence} does not fit the declared ${declaredBlockSize}-byte block size`,
            sequence,
          );
        }
      }
      if (expectedSize !== undefined && plaintextSeen + plaintextLength > expectedSize) {
        throw new CodecError('TOO_LONG', `the stream holds more than the expected ${expectedSize} bytes`, sequence);
      }
      const frameLength = FRAME_HEADER_LENGTH + header.ciphertextLength;
      if (pending.length - offset < frameLength) break;
      if (declaredBlockSize !== undefined && plaintextLength < declaredBlockSize) shortBlockSeen = sequence;
      plaintextSeen += plaintextLength;
      batch.bytes += frameLength;
      batch.count++;
    }
  }

  /** The oldest batch's authenticated plaintext; its failure, if any, ends the stream right after. */
  async function* deliverOldest(): AsyncGenerator<Buffer> {
    const { plaintexts, failure, storage } = await pipeline.next();
    for (const plaintext of plaintexts) if (plaintext.length > 0) yield plaintext;
    if (options.reuseYieldedBuffers && storage !== undefined) cipher.reuse?.(storage);
    if (failure) throw failure;
  }

  /** Delivers everything still in flight, then raises: authenticated blocks before a fault still arrive. */
  async function* drainThen(error: unknown): AsyncGenerator<Buffer, never> {
    while (!pipeline.isEmpty) yield* deliverOldest();
    throw error;
  }

  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    sawAnyByte = true;
    pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (awaitingMagic) {
      if (pending.length < MAGIC.length) continue;
      if (!hasMagic(pending.peek(0, MAGIC.length))) {
        throw new CodecError('BAD_MAGIC', 'this is not an MSC4016 v3 stream: the magic bytes "MXC\\x03" are missing');
      }
      pending.discard(MAGIC.length);
      awaitingMagic = false;
    }
    for (;;) {
      if (headerFault) yield* drainThen(headerFault);
      try {
        scanCompleteFrames();
      } catch (error) {
        return yield* drainThen(error);
      }
      // A full batch goes at once, and so does anything when the cipher is idle; otherwise frames
      // wait for more input. Every batch costs a message to a worker, and network chunks often hold
      // a single frame: batching them keeps a busy pool efficient without delaying a slow stream.
      const worthSubmitting = scanned.bytes >= maxBatchBytes || pipeline.isEmpty || headerFault !== undefined;
      if (scanned.count === 0 || !worthSubmitting) break;
      submitScanned();
      while (pipeline.isFull) yield* deliverOldest();
    }
  }
  if (scanned.count > 0) submitScanned();
  while (!pipeline.isEmpty) yield* deliverOldest();
  if (headerFault) throw headerFault;

  if (awaitingMagic && sawAnyByte) {
    throw new CodecError('TRUNCATED', 'the stream ends inside its magic bytes');
  }
  if (pending.length > 0) {
    const leftover = pending.peek(0, Math.min(pending.length, FRAME_HEADER_LENGTH));
    if (isComplete() || !couldBeginFrame(leftover)) throw trailingData(pending.length, nextSequence);
    throw new CodecError('TRUNCATED', `the stream ends in the middle of block ${nextSequence}`, nextSequence);
  }
  if (expectedSize !== undefined && plaintextSeen < expectedSize) {
    throw new CodecError(
      'TRUNCATED',
      `the stream ends after ${plaintextSeen} of the expected ${expectedSize} bytes`,
      nextSequence,
    );
  }
}
