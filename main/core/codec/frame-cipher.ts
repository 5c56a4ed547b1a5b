import { type OpenedFrames, openFrames, sealFrames } from './block-cipher.js';
import type { KeyMaterial } from './key-material.js';

/**
 * Where blocks are sealed and opened. The stream code hands over batches of whole blocks and
 * consumes results strictly in order, so an implementation may run them in parallel (see
 * CipherWorkerPool) as long as each call's result is that call's alone. Input buffers may be views
 * into the caller's chunks: an implementation that moves them to another thread copies them first.
 */
export interface FrameCipher {
  /** How many batches the stream code should keep in flight to keep this cipher busy. */
  readonly parallelism: number;
  seal(keys: KeyMaterial, firstSequence: number, plaintext: Buffer, blockSize: number): Promise<Buffer>;
  open(keys: KeyMaterial, frames: Buffer, count: number): Promise<OpenedFrames>;
}

/** Runs on the calling thread. Results are computed eagerly; the promises only keep the interface uniform. */
export const inlineFrameCipher: FrameCipher = {
  parallelism: 1,
  seal: async (keys, firstSequence, plaintext, blockSize) => sealFrames(keys, firstSequence, plaintext, blockSize),
  open: async (keys, frames, count) => openFrames(keys, frames, count),
};
