import { CipherWorkerPool, recommendedPoolOptions } from './cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipher } from './frame-cipher.js';

/** Below this many bytes, starting worker threads costs more than it saves. */
export const WORKER_THRESHOLD = 8 * 1024 * 1024;

/**
 * Runs a codec stream (encryptV3/decryptV3) with the cipher Slipstream uses for a stream of this
 * size: inline for inputs known to be small, otherwise a worker pool with the settings measured
 * fastest on this machine (bench/codec.ts). The pool lives exactly as long as the iteration. Bulk
 * streams (the CLI's) come through here, so the benchmark's "product" column is what they run.
 */
export async function* withStreamCipher(
  inputSize: number | undefined,
  run: (cipher: FrameCipher) => AsyncGenerator<Buffer>,
): AsyncGenerator<Buffer> {
  if (inputSize !== undefined && inputSize < WORKER_THRESHOLD) {
    yield* run(inlineFrameCipher);
    return;
  }
  const pool = new CipherWorkerPool(recommendedPoolOptions());
  try {
    yield* run(pool);
  } finally {
    await pool.close();
  }
}
