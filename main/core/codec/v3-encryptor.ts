import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  DEFAULT_PLAINTEXT_BLOCK_SIZE,
  MAGIC,
  MAX_BLOCK_COUNT,
  MAX_PLAINTEXT_BLOCK_SIZE,
} from '../../../shared/msc4016/frame.js';
import { type SealedBlocks, streamPartsOf } from './block-cipher.js';
import { ChunkQueue } from './chunk-queue.js';
import { DEFAULT_BATCH_BYTES, type FrameCipher, type YieldedBufferReuse, inlineFrameCipher } from './frame-cipher.js';
import type { ByteSource, KeyMaterial } from './key-material.js';
import { OrderedPipeline } from './ordered-pipeline.js';

export interface V3EncryptOptions extends YieldedBufferReuse {
  readonly keys: KeyMaterial;
  /** Plaintext bytes per block; every block but the last has exactly this many. */
  readonly blockSize?: number;
  readonly cipher?: FrameCipher;
  /** Upper bound on plaintext handed to the cipher in one call; bounds memory per batch. */
  readonly maxBatchBytes?: number;
}

export function assertValidBlockSize(blockSize: number): void {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1 || blockSize > MAX_PLAINTEXT_BLOCK_SIZE) {
    throw new RangeError(`the block size must be a whole number of bytes from 1 to ${MAX_PLAINTEXT_BLOCK_SIZE}`);
  }
}

/**
 * Encrypts a plaintext stream into an MSC4016 v3 stream: the magic, then one frame per block.
 *
 * Memory is bounded by the batch size times the cipher's batches in flight, whatever the input size. Input
 * is cut into blocks as it arrives; a partial block waits for more input or the end of the stream,
 * so a slow source is encrypted as soon as each block is complete.
 */
export async function* encryptV3(source: ByteSource, options: V3EncryptOptions): AsyncGenerator<Buffer> {
  const blockSize = options.blockSize ?? DEFAULT_PLAINTEXT_BLOCK_SIZE;
  assertValidBlockSize(blockSize);
  const cipher = options.cipher ?? inlineFrameCipher;
  const batchBytes = Math.max(1, Math.floor((options.maxBatchBytes ?? DEFAULT_BATCH_BYTES) / blockSize)) * blockSize;
  const pipeline = new OrderedPipeline<SealedBlocks>(cipher.batchesInFlight);
  let nextSequence = 0;
  // Input waits here until whole blocks are available; each byte is copied at most once, however
  // small the chunks and large the blocks.
  const pending = new ChunkQueue();

  const submit = (length: number): void => {
    const blocks = Math.ceil(length / blockSize);
    if (nextSequence + blocks > MAX_BLOCK_COUNT) {
      throw new CodecError('TOO_MANY_BLOCKS', 'the file needs more than 2^32 blocks; use a larger block size');
    }
    pipeline.push(cipher.sealBlocks(options.keys, nextSequence, pending.take(length), blockSize));
    nextSequence += blocks;
  };

  /** Called once the consumer has asked for what follows a batch's parts. */
  const consumed = (sealed: SealedBlocks): void => {
    if (options.reuseYieldedBuffers && 'storage' in sealed) cipher.reuse?.(sealed.storage);
  };

  yield Buffer.from(MAGIC);
  for await (const chunk of source) {
    pending.push(toBuffer(chunk));
    // A full batch goes at once, and whole blocks go when the cipher is idle; otherwise input waits
    // for more. Every batch costs a message to a worker, so a busy pool gets whole batches, while a
    // slow source is still encrypted block by block as it arrives.
    while (pending.length >= batchBytes || (pending.length >= blockSize && pipeline.isEmpty)) {
      submit(Math.min(batchBytes, pending.length - (pending.length % blockSize)));
      // The oldest batch goes out as the stream parts it already consists of: its ciphertext is
      // never copied into frames. (Yielded here rather than through a nested generator, which would
      // cost every part another round of promises.)
      while (pipeline.isFull) {
        const sealed = await pipeline.next();
        for (const part of streamPartsOf(sealed)) yield part;
        consumed(sealed);
      }
    }
  }
  if (pending.length > 0) submit(pending.length);
  while (!pipeline.isEmpty) {
    const sealed = await pipeline.next();
    for (const part of streamPartsOf(sealed)) yield part;
    consumed(sealed);
  }
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
