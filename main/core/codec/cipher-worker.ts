import { parentPort } from 'node:worker_threads';
import { type CodecError, isCodecError } from '../../../shared/msc4016/codec-error.js';
import { openFrames, sealFrames } from './block-cipher.js';
import type { CipherJob, CipherJobResult, SerialisedError } from './cipher-worker-protocol.js';

/** A worker thread of CipherWorkerPool: seals or opens one batch of blocks per message. */
const port = parentPort;
if (port === null) throw new Error('cipher-worker must run as a worker thread');

port.on('message', (job: CipherJob) => {
  const keys = { key: Buffer.from(job.key), iv: Buffer.from(job.iv) };
  const input = Buffer.from(job.data, 0, job.length);
  let reply: CipherJobResult;
  try {
    const { output, failure } =
      job.op === 'seal'
        ? { output: sealFrames(keys, job.firstSequence, input, job.blockSize), failure: undefined }
        : (({ plaintext, failure }) => ({ output: plaintext, failure }))(openFrames(keys, input, job.count));
    const transferable = ownsItsMemory(output) ? output : exactCopy(output);
    reply = { id: job.id, input: job.data, data: transferable.buffer as ArrayBuffer };
    if (failure) reply.failure = serialise(failure);
    port.postMessage(reply, [job.data, transferable.buffer as ArrayBuffer]);
  } catch (error) {
    reply = {
      id: job.id,
      input: job.data,
      error: isCodecError(error) ? serialise(error) : { message: String((error as Error)?.message ?? error) },
    };
    port.postMessage(reply, [job.data]);
  }
});

/** Small Buffers live in a shared slab; the reply needs an ArrayBuffer holding exactly the result. */
function exactCopy(buffer: Buffer): Uint8Array {
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return copy;
}

/** Large Buffers get an ArrayBuffer of their own, which can be transferred instead of cloned. */
function ownsItsMemory(buffer: Buffer): boolean {
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length;
}

function serialise(error: CodecError): SerialisedError {
  return { code: error.code, message: error.message, block: error.block };
}
