import { CodecError } from '../../../shared/msc4016/codec-error.js';
import {
  DEFAULT_PLAINTEXT_BLOCK_SIZE,
  MAGIC,
  MAX_BLOCK_COUNT,
  MAX_PLAINTEXT_BLOCK_SIZE,
} from '../../../shared/msc4016/frame.js';
import { ChunkQueue } from './chunk-queue.js';
import { type FrameCipher, inlineFrameCipher } from './frame-cipher.js';
import type { ByteSource, KeyMaterial } from './key-material.js';
import { OrderedPipeline } from './ordered-pipeline.js';

export interface V3EncryptOptions {
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
 * Memory is bounded by the batch size times the cipher's parallelism, whatever the input size. Input
 * is cut into blocks as it arrives; a partial block waits for more input or the end of the stream,
 * so a slow source is encrypted as soon as each block is complete.
 */
export async function* encryptV3(source: ByteSource, options: V3EncryptOptions): AsyncGenerator<Buffer> {
  const blockSize = options.blockSize ?? DEFAULT_PLAINTEXT_BLOCK_SIZE;
  assertValidBlockSize(blockSize);
  const cipher = options.cipher ?? inlineFrameCipher;
  const blocksPerBatch = Math.max(1, Math.floor((options.maxBatchBytes ?? 1024 * 1024) / blockSize));
  const pipeline = new OrderedPipeline<Buffer>(cipher.parallelism * 2);
  let nextSequence = 0;
  // Input waits here until whole blocks are available; each byte is copied at most once, however
  // small the chunks and large the blocks.
  const pending = new ChunkQueue();

  const submit = (plaintext: Buffer): void => {
    const blocks = Math.ceil(plaintext.length / blockSize);
    if (nextSequence + blocks > MAX_BLOCK_COUNT) {
      throw new CodecError('TOO_MANY_BLOCKS', 'the file needs more than 2^32 blocks; use a larger block size');
    }
    pipeline.push(cipher.seal(options.keys, nextSequence, plaintext, blockSize));
    nextSequence += blocks;
  };

  yield Buffer.from(MAGIC);
  for await (const chunk of source) {
    pending.push(toBuffer(chunk));
    while (pending.length >= blockSize) {
      submit(pending.take(Math.min(blocksPerBatch, Math.floor(pending.length / blockSize)) * blockSize));
      while (pipeline.isFull) yield await pipeline.next();
    }
  }
  if (pending.length > 0) submit(pending.take(pending.length));
  while (!pipeline.isEmpty) yield await pipeline.next();
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
