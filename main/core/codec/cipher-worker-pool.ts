import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import type { OpenedFrames } from './block-cipher.js';
import type { CipherJob, CipherJobResult, SerialisedError } from './cipher-worker-protocol.js';
import { type FrameCipher, inlineFrameCipher } from './frame-cipher.js';
import type { KeyMaterial } from './key-material.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type JobRequest = DistributiveOmit<CipherJob, 'id' | 'data' | 'length'>;

/** What a worker hands back: sealed frames, or opened plaintext with the fault that stopped it, if any. */
interface JobOutput {
  readonly output: Buffer;
  readonly failure?: CodecError;
}

interface PendingJob {
  resolve(output: JobOutput): void;
  reject(error: Error): void;
}

interface PooledWorker {
  readonly worker: Worker;
  /** Jobs posted to this worker and not yet answered, by job id. */
  readonly jobs: Map<number, PendingJob>;
}

/**
 * Seals and opens batches of blocks on worker threads. One Node cipher object per block tops out
 * near half of OpenSSL's AES-GCM speed on one core (the per-block setup and the CRC cost as much as
 * the AES), so the codec spreads batches over cores to keep it off the transfer's critical path.
 */
export interface CipherPoolOptions {
  /** Worker threads to start. */
  readonly threads?: number;
  /**
   * Also seal/open every (threads + 1)th batch on the calling thread. On a machine with few cores this
   * keeps every core on cipher work instead of leaving one mostly idle copying buffers; it blocks the
   * caller for about a millisecond per batch, so it suits a CLI or a utility process, not a UI thread.
   */
  readonly shareCallingThread?: boolean;
}

/** Pool settings measured fastest on a machine with `cores` cores (bench/codec.ts). */
export function recommendedPoolOptions(cores = availableParallelism()): Required<CipherPoolOptions> {
  return cores <= 2 ? { threads: 1, shareCallingThread: true } : { threads: cores - 1, shareCallingThread: false };
}

export class CipherWorkerPool implements FrameCipher {
  readonly parallelism: number;
  private readonly workers: PooledWorker[];
  private readonly shareCallingThread: boolean;
  private readonly spareInputs: ArrayBuffer[] = [];
  private nextJobId = 0;
  private batchesSubmitted = 0;
  private closed = false;

  constructor(options: CipherPoolOptions = {}) {
    const threads = Math.max(1, options.threads ?? availableParallelism());
    this.shareCallingThread = options.shareCallingThread ?? false;
    this.parallelism = threads + (this.shareCallingThread ? 1 : 0);
    this.workers = Array.from({ length: threads }, () => this.spawn());
  }

  /** Whether this job's turn falls to the calling thread. */
  private takeInline(): boolean {
    return this.shareCallingThread && this.batchesSubmitted++ % this.parallelism === this.parallelism - 1;
  }

  private spawn(): PooledWorker {
    const worker = createCipherWorker();
    const pooled: PooledWorker = { worker, jobs: new Map() };
    worker.on('message', (result: CipherJobResult) => {
      const job = pooled.jobs.get(result.id);
      pooled.jobs.delete(result.id);
      if (pooled.jobs.size === 0) worker.unref();
      if (this.spareInputs.length < this.parallelism * 2) this.spareInputs.push(result.input);
      if (job === undefined) return;
      if ('data' in result) {
        const output = Buffer.from(result.data);
        job.resolve(result.failure ? { output, failure: revive(result.failure) as CodecError } : { output });
      } else {
        job.reject(revive(result.error));
      }
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

  private inputBuffer(length: number): ArrayBuffer {
    const index = this.spareInputs.findIndex((spare) => spare.byteLength >= length);
    if (index >= 0) return this.spareInputs.splice(index, 1)[0]!;
    // Round up so that batches of slightly different sizes can share buffers.
    return new ArrayBuffer(Math.ceil(length / 65536) * 65536);
  }

  private run(job: JobRequest, input: Uint8Array): Promise<JobOutput> {
    if (this.closed) return Promise.reject(new Error('the cipher pool is closed'));
    const pooled = this.workers.reduce((least, candidate) =>
      candidate.jobs.size < least.jobs.size ? candidate : least,
    );
    const id = this.nextJobId++;
    // The input may be a view into a caller's chunk; the worker gets its own transferable copy.
    const data = this.inputBuffer(input.length);
    new Uint8Array(data, 0, input.length).set(input);
    return new Promise<JobOutput>((resolve, reject) => {
      if (pooled.jobs.size === 0) pooled.worker.ref();
      pooled.jobs.set(id, { resolve, reject });
      pooled.worker.postMessage({ ...job, id, data, length: input.length } as CipherJob, [data]);
    });
  }

  seal(keys: KeyMaterial, firstSequence: number, plaintext: Buffer, blockSize: number): Promise<Buffer> {
    if (this.takeInline()) return inlineFrameCipher.seal(keys, firstSequence, plaintext, blockSize);
    const request = { op: 'seal', key: keys.key, iv: keys.iv, firstSequence, blockSize } as const;
    return this.run(request, plaintext).then(({ output }) => output);
  }

  open(keys: KeyMaterial, frames: Buffer, count: number): Promise<OpenedFrames> {
    if (this.takeInline()) return inlineFrameCipher.open(keys, frames, count);
    return this.run({ op: 'open', key: keys.key, iv: keys.iv, count }, frames).then(({ output, failure }) =>
      failure ? { plaintext: output, failure } : { plaintext: output },
    );
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
function createCipherWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './cipher-worker.ts' : './cipher-worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
