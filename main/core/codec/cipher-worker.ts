import { parentPort } from 'node:worker_threads';
import { isCodecError } from '../../../shared/msc4016/codec-error.js';
import { openFrames, sealFrames } from './block-cipher.js';
import type { CipherJob, CipherJobResult } from './cipher-worker-protocol.js';

/** A worker thread of CipherWorkerPool: seals or opens one batch of blocks per message. */
const port = parentPort;
if (port === null) throw new Error('cipher-worker must run as a worker thread');

port.on('message', (job: CipherJob) => {
  const keys = { key: Buffer.from(job.key), iv: Buffer.from(job.iv) };
  const input = Buffer.from(job.data, 0, job.length);
  let reply: CipherJobResult;
  try {
    const output =
      job.op === 'seal' ? sealFrames(keys, job.firstSequence, input, job.blockSize) : openFrames(keys, input, job.count);
    const transferable = ownsItsMemory(output) ? output : Buffer.from(output);
    reply = { id: job.id, input: job.data, data: transferable.buffer as ArrayBuffer };
    port.postMessage(reply, [job.data, transferable.buffer as ArrayBuffer]);
  } catch (error) {
    reply = {
      id: job.id,
      input: job.data,
      error: isCodecError(error)
        ? { code: error.code, message: error.message, block: error.block }
        : { message: String((error as Error)?.message ?? error) },
    };
    port.postMessage(reply, [job.data]);
  }
});

/** Large Buffers get an ArrayBuffer of their own, which can be transferred instead of cloned. */
function ownsItsMemory(buffer: Buffer): boolean {
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length;
}
