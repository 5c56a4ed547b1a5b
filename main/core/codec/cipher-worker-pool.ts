import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import type { OpenedBlocks, SealedBlocks } from './block-cipher.js';
import type { CipherJob, CipherJobResult, CipherWorkerData, SerialisedError } from './cipher-worker-protocol.js';
import type { BlockCipherChoice } from './block-cipher-choice.js';
import { type FrameCipher, inlineFrameCipherWith, openedLength, sealedLength } from './frame-cipher.js';
import type { KeyMaterial } from './key-material.js';
import { SpareBuffers, resultMemory } from './spare-buffers.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type JobRequest = DistributiveOmit<CipherJob, 'id' | 'key' | 'iv' | 'data' | 'length' | 'spare'>;

interface PendingJob {
  resolve(result: CipherJobResult): void;
  reject(error: Error): void;
}

interface PooledWorker {
  readonly worker: Worker;
  /** Jobs posted to this worker and not yet answered, by job id. */
  readonly jobs: Map<number, PendingJob>;
  /** Jobs posted to this worker, ever. */
  posted: number;
  /**
   * Jobs this worker has finished, counted by the worker itself as it finishes each. The answers
   * arrive as messages, which a calling thread busy with its own batch reads only later, so `jobs`
   * overstates how busy the worker is right now; this does not.
   */
  readonly finished: Int32Array;
}

/** How many batches a worker has waiting or running at this moment. */
function backlogOf({ posted, finished }: PooledWorker): number {
  return posted - Atomics.load(finished, 0);
}

/**
 * Options of CipherWorkerPool, which seals and opens batches of blocks on worker threads. One Node
 * cipher object per block tops out at 35–45 % of OpenSSL's AES-GCM speed on one core (Node zero-fills
 * and then re-copies every output buffer, and cannot re-key a context), so the codec spreads batches
 * over cores to keep it off the transfer's critical path. Figures: docs/benchmarks.md.
 */
export interface CipherPoolOptions {
  /** Worker threads to start. */
  readonly threads?: number;
  /**
   * Also seal/open batches on the calling thread when the workers are busy. On a machine with few
   * cores this keeps every core on cipher work instead of leaving one mostly idle copying buffers; it
   * blocks the caller for about half a millisecond per batch, so it suits a CLI or a utility process,
   * not a UI thread.
   */
  readonly shareCallingThread?: boolean;
  /**
   * Batches kept in flight per thread. Results are consumed in order, so a thread that finishes
   * early idles unless more batches are queued behind the one everyone waits for.
   */
  readonly batchesPerThread?: number;
  /** The block cipher every thread of the pool runs (block-cipher-choice.ts); the fastest by default. */
  readonly blockCipher?: BlockCipherChoice;
}

/** Pool settings measured fastest on a machine with `cores` cores (bench/codec.ts). */
export function recommendedPoolOptions(cores = availableParallelism()): Required<CipherPoolOptions> {
  const shape =
    cores <= 2 ? { threads: 1, shareCallingThread: true } : { threads: cores - 1, shareCallingThread: false };
  return { ...shape, batchesPerThread: 3, blockCipher: 'fastest' };
}

/** Batches a worker should have waiting or running before the calling thread takes one itself. */
const WORKER_BACKLOG = 2;

/** Given each worker's backlog, whether a calling thread that shares the work takes the next batch. */
export function callerTakesBatch(workerBacklogs: readonly number[]): boolean {
  return workerBacklogs.every((backlog) => backlog >= WORKER_BACKLOG);
}

export class CipherWorkerPool implements FrameCipher {
  /** Threads that seal and open: the workers, and the calling thread when it takes its share. */
  readonly parallelism: number;
  readonly batchesInFlight: number;
  private readonly workers: PooledWorker[];
  private readonly shareCallingThread: boolean;
  private readonly blockCipher: BlockCipherChoice;
  /** Batch inputs come back with their results and carry the next batches. */
  private readonly spareInputs: SpareBuffers;
  /** Result memory handed back through `reuse`, which the next results are written into. */
  private readonly spareResults: SpareBuffers;
  /** The calling thread's share of the work, written into the same spares. */
  private readonly inline: FrameCipher;
  private nextJobId = 0;
  private closed = false;

  constructor(options: CipherPoolOptions = {}) {
    const threads = Math.max(1, options.threads ?? availableParallelism());
    this.shareCallingThread = options.shareCallingThread ?? false;
    this.blockCipher = options.blockCipher ?? 'fastest';
    this.parallelism = threads + (this.shareCallingThread ? 1 : 0);
    this.batchesInFlight = this.parallelism * Math.max(1, options.batchesPerThread ?? 2);
    this.spareInputs = new SpareBuffers(this.batchesInFlight);
    // Every batch in flight, and the one its user is finishing with.
    this.spareResults = new SpareBuffers(this.batchesInFlight + 1);
    this.inline = inlineFrameCipherWith(this.blockCipher, this.spareResults);
    this.workers = Array.from({ length: threads }, () => this.spawn());
  }

  /**
   * Whether the calling thread takes this batch itself: only when every worker already has
   * WORKER_BACKLOG batches waiting or running. A worker then always has the next batch queued while
   * the caller is busy with its own, and the caller's share adjusts itself to how fast the workers
   * actually run (a fixed rotation left the worker idle while the caller, which also does all the
   * stream work, fell behind).
   */
  private takeInline(): boolean {
    return this.shareCallingThread && callerTakesBatch(this.workers.map(backlogOf));
  }

  private spawn(): PooledWorker {
    const finished = new Int32Array(new SharedArrayBuffer(4));
    const worker = createCipherWorker({ finished, blockCipher: this.blockCipher } satisfies CipherWorkerData);
    const pooled: PooledWorker = { worker, jobs: new Map(), posted: 0, finished };
    worker.on('message', (result: CipherJobResult) => {
      const job = pooled.jobs.get(result.id);
      pooled.jobs.delete(result.id);
      if (pooled.jobs.size === 0) worker.unref();
      this.spareInputs.put(result.input);
      if (result.spare) this.spareResults.put(result.spare);
      if (job === undefined) return;
      if ('error' in result) job.reject(revive(result.error));
      else job.resolve(result);
    });
    // A worker that dies (an out-of-memory kill, a crash in native code) must not leave its jobs
    // waiting forever: they fail, and a fresh worker takes its place for the jobs that follow.
    const retire = (reason: Error): void => {
      const index = this.workers.indexOf(pooled);
      if (index < 0) return;
      for (const job of pooled.jobs.values()) job.reject(reason);
      pooled.jobs.clear();
      if (this.closed) this.workers.splice(index, 1);
      else this.workers[index] = this.spawn();
    };
    worker.on('error', (error) => retire(new Error(`a cipher worker failed: ${error.message}`)));
    worker.on('exit', (code) => retire(new Error(`a cipher worker stopped unexpectedly (exit code ${code})`)));
    worker.unref();
    return pooled;
  }

  private run(
    job: JobRequest,
    keys: KeyMaterial,
    pieces: readonly Buffer[],
    resultLength: number,
  ): Promise<CipherJobResult> {
    if (this.closed) return Promise.reject(new Error('the cipher pool is closed'));
    const pooled = this.workers.reduce((least, candidate) =>
      backlogOf(candidate) < backlogOf(least) ? candidate : least,
    );
    const id = this.nextJobId++;
    // The pieces are views into the caller's chunks; the worker gets its own transferable copy, made
    // straight from them: the only time the calling thread touches the batch's bytes.
    const length = pieces.reduce((total, piece) => total + piece.length, 0);
    const data = resultMemory(length, this.spareInputs.take(length));
    const spare = this.spareResults.take(resultLength);
    const input = new Uint8Array(data, 0, length);
    let offset = 0;
    for (const piece of pieces) {
      input.set(piece, offset);
      offset += piece.length;
    }
    // Exact copies: a key that is a view into a larger buffer would be cloned with all of it.
    const request = {
      ...job,
      id,
      key: Uint8Array.from(keys.key),
      iv: Uint8Array.from(keys.iv),
      data,
      length,
      ...(spare && { spare }),
    };
    return new Promise<CipherJobResult>((resolve, reject) => {
      if (pooled.jobs.size === 0) pooled.worker.ref();
      pooled.jobs.set(id, { resolve, reject });
      pooled.posted++;
      pooled.worker.postMessage(request as CipherJob, spare ? [data, spare] : [data]);
    });
  }

  sealBlocks(
    keys: KeyMaterial,
    firstSequence: number,
    plaintext: readonly Buffer[],
    blockSize: number,
  ): Promise<SealedBlocks> {
    if (this.takeInline()) return this.inline.sealBlocks(keys, firstSequence, plaintext, blockSize);
    const resultLength = sealedLength(plaintext, blockSize);
    return this.run({ op: 'seal', firstSequence, blockSize }, keys, plaintext, resultLength).then((result) => {
      if (!('framing' in result)) throw new Error('a cipher worker answered a seal with something else');
      const framing = Buffer.from(result.framing);
      if ('storage' in result) {
        return { framing, frames: Buffer.from(result.storage, 0, result.framesLength), storage: result.storage };
      }
      return { framing, ciphertexts: result.ciphertexts.map((ab) => Buffer.from(ab)) };
    });
  }

  openBlocks(keys: KeyMaterial, frames: readonly Buffer[], count: number): Promise<OpenedBlocks> {
    if (this.takeInline()) return this.inline.openBlocks(keys, frames, count);
    return this.run({ op: 'open', count }, keys, frames, openedLength(frames, count)).then((result) => {
      let opened: OpenedBlocks;
      if ('storage' in result && 'plaintextLength' in result) {
        const { storage, plaintextLength } = result;
        opened = { plaintexts: plaintextLength > 0 ? [Buffer.from(storage, 0, plaintextLength)] : [], storage };
      } else if ('plaintexts' in result) {
        opened = { plaintexts: result.plaintexts.map((ab) => Buffer.from(ab)) };
      } else {
        throw new Error('a cipher worker answered an open with something else');
      }
      return result.failure ? { ...opened, failure: revive(result.failure) as CodecError } : opened;
    });
  }

  reuse(storage: ArrayBuffer): void {
    this.spareResults.put(storage);
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new Error('the cipher pool was closed');
    for (const { jobs } of this.workers) {
      for (const job of jobs.values()) job.reject(closing);
      jobs.clear();
    }
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

function revive(error: SerialisedError): Error {
  return error.code ? new CodecError(error.code, error.message, error.block) : new Error(error.message);
}

/**
 * Starts the worker from the compiled file in a build, or from the TypeScript source when running
 * from a checkout, where it needs tsx's loader registered before its first import.
 */
function createCipherWorker(workerData: CipherWorkerData): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './cipher-worker.ts' : './cipher-worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
