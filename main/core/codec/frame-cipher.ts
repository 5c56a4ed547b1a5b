import { FRAME_OVERHEAD } from '../../../shared/msc4016/frame.js';
import type { OpenedBlocks, SealedBlocks } from './block-cipher.js';
import { type BlockCipherChoice, blockCipherFor } from './block-cipher-choice.js';
import type { KeyMaterial } from './key-material.js';
import { SpareBuffers } from './spare-buffers.js';

/**
 * Plaintext (sealing) or ciphertext (opening) per batch that the stream code hands over, unless told
 * otherwise. Every batch costs a call, allocations and, in a pool, a message; measured with the
 * native cipher at 64 KiB blocks, 2 MiB batches ran 5–15 % faster than 1 MiB ones, inline and in
 * the pool alike. Memory in flight is this times the cipher's batches in flight.
 */
export const DEFAULT_BATCH_BYTES = 2 * 1024 * 1024;

/**
 * Where blocks are sealed and opened. The stream code hands over batches of whole blocks and
 * consumes results strictly in order, so an implementation may run them in parallel (see
 * CipherWorkerPool) as long as each call's result is that call's alone.
 *
 * `sealBlocks`/`openBlocks` are the streaming path and copy nothing they need not: inputs come as
 * the pieces they arrived in (views into the caller's chunks, in order), since a batch rarely lines
 * up with input chunks and an implementation that moves bytes to another thread copies them anyway;
 * results come back in the buffers the cipher produced them in.
 */
export interface FrameCipher {
  /** Threads that seal and open. */
  readonly parallelism: number;
  /** How many batches the stream code should keep in flight to keep every thread busy. */
  readonly batchesInFlight: number;
  sealBlocks(
    keys: KeyMaterial,
    firstSequence: number,
    plaintext: readonly Buffer[],
    blockSize: number,
  ): Promise<SealedBlocks>;
  openBlocks(keys: KeyMaterial, frames: readonly Buffer[], count: number): Promise<OpenedBlocks>;
  /**
   * Takes back a result's `storage` (SealedFrames, OpenedBlocks) once its user has finished with the
   * bytes in it, so that a later result is written there rather than into fresh memory. A cipher
   * that keeps no spare memory need not implement it.
   */
  reuse?(storage: ArrayBuffer): void;
}

/** The option of encryptV3 and decryptV3 that lets a FrameCipher reuse what they yielded. */
export interface YieldedBufferReuse {
  /**
   * The consumer has finished with each yielded buffer by the time it asks for the next one (it
   * writes the buffer out and awaits the write), so that buffer's memory may carry later output.
   * Saves a fresh allocation, its page faults and its garbage per batch (docs/benchmarks.md). A
   * consumer that keeps buffers (collects them, or hands them to a stream that queues them) must
   * leave it unset.
   */
  readonly reuseYieldedBuffers?: boolean;
}

const totalLength = (pieces: readonly Uint8Array[]): number => pieces.reduce((total, piece) => total + piece.length, 0);

/** Bytes of the frames sealing `plaintext` as blocks of `blockSize`. */
export function sealedLength(plaintext: readonly Uint8Array[], blockSize: number): number {
  const length = totalLength(plaintext);
  return length + Math.ceil(length / blockSize) * FRAME_OVERHEAD;
}

/** Bytes of plaintext in `count` whole frames laid end to end in `frames`. */
export function openedLength(frames: readonly Uint8Array[], count: number): number {
  return Math.max(0, totalLength(frames) - count * FRAME_OVERHEAD);
}

/**
 * Runs on the calling thread with the chosen block cipher (looked up at the first call, so importing
 * loads no addon). Results are computed eagerly; the promises only keep the interface uniform.
 */
export function inlineFrameCipherWith(
  choice: BlockCipherChoice,
  // One batch in flight and one with its user is all a stream keeps; the second spare serves a
  // second stream sharing this cipher.
  spares = new SpareBuffers(2),
): FrameCipher {
  return {
    parallelism: 1,
    batchesInFlight: 1,
    sealBlocks: async (keys, firstSequence, plaintext, blockSize) => {
      const spare = spares.take(sealedLength(plaintext, blockSize));
      const sealed = blockCipherFor(choice).sealBlocks(keys, firstSequence, plaintext, blockSize, spare);
      spares.putUnused(spare, sealed);
      return sealed;
    },
    openBlocks: async (keys, frames, count) => {
      const spare = spares.take(openedLength(frames, count));
      const opened = blockCipherFor(choice).openFrames(keys, frames, count, spare);
      spares.putUnused(spare, opened);
      return opened;
    },
    reuse: (storage) => spares.put(storage),
  };
}

/** The calling thread with the fastest block cipher that works here (block-cipher-choice.ts). */
export const inlineFrameCipher: FrameCipher = inlineFrameCipherWith('fastest');
