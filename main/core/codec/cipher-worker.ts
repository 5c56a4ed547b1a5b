import { parentPort, workerData } from 'node:worker_threads';
import { type CodecError, isCodecError } from '../../../shared/msc4016/codec-error.js';
import { blockCipherFor } from './block-cipher-choice.js';
import type { CipherJob, CipherJobResult, CipherWorkerData, SerialisedError } from './cipher-worker-protocol.js';

/** A worker thread of CipherWorkerPool: seals or opens one batch of blocks per message. */
const port = parentPort;
if (port === null) throw new Error('cipher-worker must run as a worker thread');
const { finished, blockCipher } = workerData as CipherWorkerData;
const cipher = blockCipherFor(blockCipher);

/** Counted as finished before the answer is posted, so the pool never sees an answer to an unfinished job. */
function answer(reply: CipherJobResult, transfer: ArrayBuffer[]): void {
  Atomics.add(finished, 0, 1);
  port!.postMessage(reply, transfer);
}

port.on('message', (job: CipherJob) => {
  const keys = { key: Buffer.from(job.key), iv: Buffer.from(job.iv) };
  const input = Buffer.from(job.data, 0, job.length);
  try {
    if (job.op === 'seal') {
      const sealed = cipher.sealBlocks(keys, job.firstSequence, input, job.blockSize);
      const framing = ownArrayBuffer(sealed.framing);
      if ('frames' in sealed) {
        const frames = ownArrayBuffer(sealed.frames);
        answer({ id: job.id, input: job.data, framing, frames }, transferList(job.data, [framing, frames]));
      } else {
        const ciphertexts = sealed.ciphertexts.map(ownArrayBuffer);
        answer(
          { id: job.id, input: job.data, framing, ciphertexts },
          transferList(job.data, [framing, ...ciphertexts]),
        );
      }
    } else {
      const { plaintexts, failure } = cipher.openFrames(keys, input, job.count);
      const results = plaintexts.map(ownArrayBuffer);
      const reply: CipherJobResult = { id: job.id, input: job.data, plaintexts: results };
      if (failure) reply.failure = serialise(failure);
      answer(reply, transferList(job.data, results));
    }
  } catch (error) {
    const reply: CipherJobResult = {
      id: job.id,
      input: job.data,
      error: isCodecError(error) ? serialise(error) : { message: String((error as Error)?.message ?? error) },
    };
    answer(reply, [job.data]);
  }
});

/** Each buffer once: a transfer list naming one twice is refused (empty results may share one). */
function transferList(input: ArrayBuffer, results: readonly ArrayBuffer[]): ArrayBuffer[] {
  return [...new Set([input, ...results])];
}

/**
 * An ArrayBuffer holding exactly these bytes and nothing else, to transfer. Both block ciphers return
 * results in memory of their own, which is transferred as it is; a buffer that shares its memory
 * (Node pools small allocations; a batch that stopped at a bad block fills only part of its output)
 * is copied, since transferring would take its neighbours along.
 */
function ownArrayBuffer(buffer: Buffer): ArrayBuffer {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length) return buffer.buffer as ArrayBuffer;
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return copy.buffer;
}

function serialise(error: CodecError): SerialisedError {
  return { code: error.code, message: error.message, block: error.block };
}
