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
  /** The job's spare goes back unless the result was written into it. */
  const unused = (storage?: ArrayBuffer): { spare?: ArrayBuffer } =>
    job.spare !== undefined && job.spare !== storage ? { spare: job.spare } : {};
  let reply: CipherJobResult;
  try {
    if (job.op === 'seal') {
      const sealed = cipher.sealBlocks(keys, job.firstSequence, input, job.blockSize, job.spare);
      const framing = ownArrayBuffer(sealed.framing);
      reply =
        'frames' in sealed
          ? {
              id: job.id,
              input: job.data,
              framing,
              storage: sealed.storage,
              framesLength: sealed.frames.length,
              ...unused(sealed.storage),
            }
          : { id: job.id, input: job.data, framing, ciphertexts: sealed.ciphertexts.map(ownArrayBuffer), ...unused() };
    } else {
      const { plaintexts, failure, storage } = cipher.openFrames(keys, input, job.count, job.spare);
      reply =
        storage !== undefined
          ? { id: job.id, input: job.data, storage, plaintextLength: plaintexts[0]?.length ?? 0, ...unused(storage) }
          : { id: job.id, input: job.data, plaintexts: plaintexts.map(ownArrayBuffer), ...unused() };
      if (failure) reply.failure = serialise(failure);
    }
  } catch (error) {
    reply = {
      id: job.id,
      input: job.data,
      error: isCodecError(error) ? serialise(error) : { message: String((error as Error)?.message ?? error) },
      ...unused(),
    };
  }
  answer(reply, transferList(reply));
});

/** Every buffer of a reply, each once: a transfer list naming one twice is refused (empty results may share one). */
function transferList(reply: CipherJobResult): ArrayBuffer[] {
  const buffers: (ArrayBuffer | undefined)[] = [reply.input, reply.spare];
  if ('framing' in reply) buffers.push(reply.framing);
  if ('storage' in reply) buffers.push(reply.storage);
  if ('ciphertexts' in reply) buffers.push(...reply.ciphertexts);
  if ('plaintexts' in reply) buffers.push(...reply.plaintexts);
  return [...new Set(buffers.filter((buffer) => buffer !== undefined))];
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
