import type { CodecErrorCode } from '../../../shared/msc4016/codec-error.js';

/**
 * Messages between CipherWorkerPool and its workers. Buffers travel as transferred ArrayBuffers; the
 * input buffer (`data`, of which the first `length` bytes are the input) comes back with the result
 * so the pool can reuse it: fresh large allocations fault in new pages on every batch, which cost
 * a fifth of the throughput on the machines we measured.
 */
interface JobInput {
  id: number;
  key: Uint8Array;
  iv: Uint8Array;
  data: ArrayBuffer;
  length: number;
}
export type CipherJob =
  (JobInput & { op: 'seal'; firstSequence: number; blockSize: number }) | (JobInput & { op: 'open'; count: number });

export interface SerialisedError {
  code?: CodecErrorCode;
  message: string;
  block?: number | undefined;
}

/** `failure` accompanies an open that stopped at a bad block; `data` then holds the blocks before it. */
export type CipherJobResult =
  | { id: number; input: ArrayBuffer; data: ArrayBuffer; failure?: SerialisedError }
  | { id: number; input: ArrayBuffer; error: SerialisedError };
