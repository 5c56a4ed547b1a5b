import type { CodecErrorCode } from '../../../shared/msc4016/codec-error.js';
import type { BlockCipherChoice } from './block-cipher-choice.js';

/**
 * Messages between CipherWorkerPool and its workers. Every byte buffer travels as a transferred
 * ArrayBuffer, never a structured-clone copy, in both directions:
 *
 * - the input (`data`, of which the first `length` bytes are the batch) goes to the worker and comes
 *   back with the result, so the pool reuses it: fresh large allocations fault in new pages on every
 *   batch, which cost a fifth of the throughput on the machines we measured;
 * - results come back in the buffers the block cipher produced them in, so no thread copies a result:
 *   node:crypto's one buffer per block, the native cipher's one per batch (`storage`, written into
 *   the job's `spare` when the result's user had handed one back), and sealing's headers and tags in
 *   one more.
 */
/** Given to each worker when it starts. */
export interface CipherWorkerData {
  /** [0]: jobs finished so far, which the worker increments as it finishes each (see CipherWorkerPool). */
  readonly finished: Int32Array;
  readonly blockCipher: BlockCipherChoice;
}

interface JobInput {
  id: number;
  key: Uint8Array;
  iv: Uint8Array;
  data: ArrayBuffer;
  length: number;
  /** Memory the result may be written into (see SpareBuffers); comes back as `storage` or `spare`. */
  spare?: ArrayBuffer;
}
export type CipherJob =
  (JobInput & { op: 'seal'; firstSequence: number; blockSize: number }) | (JobInput & { op: 'open'; count: number });

export interface SerialisedError {
  code?: CodecErrorCode;
  message: string;
  block?: number | undefined;
}

interface ResultBase {
  id: number;
  input: ArrayBuffer;
  /** The job's `spare`, when the result was not written into it. */
  spare?: ArrayBuffer;
}

/**
 * Sealing's results are node:crypto's (one ciphertext per block) or the native cipher's (the frames,
 * the first `framesLength` bytes of `storage`). Opening's likewise: one plaintext per block, or the
 * first `plaintextLength` bytes of `storage`; `failure` accompanies an open that stopped at a bad
 * block, the plaintext then being that of the blocks before it.
 */
export type CipherJobResult =
  | (ResultBase & { framing: ArrayBuffer; ciphertexts: ArrayBuffer[] })
  | (ResultBase & { framing: ArrayBuffer; storage: ArrayBuffer; framesLength: number })
  | (ResultBase & { plaintexts: ArrayBuffer[]; failure?: SerialisedError })
  | (ResultBase & { storage: ArrayBuffer; plaintextLength: number; failure?: SerialisedError })
  | (ResultBase & { error: SerialisedError });
