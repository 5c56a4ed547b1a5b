/**
 * The write path of the Node floors (bench/server-node-floor.ts, bench/e2e-node-floor.ts), as the
 * source of a plain JavaScript function for their `node -e` scripts: `writeBody(stream, path)` writes a
 * readable stream's chunks to a new file as they arrive, everything that arrived during the previous
 * write in one `FileHandle.writev`, as the media server's append pipeline and the engine's receiver
 * batch (with at most 8 MiB queued); no fsync.
 */
export const WRITE_BODY_SOURCE = `
async function writeBody(stream, path) {
  const handle = await require('node:fs/promises').open(path, 'w');
  try {
    let position = 0, queued = [], queuedBytes = 0, writing;
    const flush = () => {
      const batch = queued, bytes = queuedBytes, at = position;
      queued = []; queuedBytes = 0; position += bytes;
      writing = (async () => {
        for (let pending = batch, done = 0; done < bytes;) {
          const { bytesWritten } = await handle.writev(pending, at + done);
          done += bytesWritten;
          let skip = bytesWritten;
          while (pending.length && skip >= pending[0].length) skip -= pending.shift().length;
          if (skip) pending[0] = pending[0].subarray(skip);
        }
        writing = undefined;
      })();
    };
    for await (const chunk of stream) {
      queued.push(chunk); queuedBytes += chunk.length;
      if (!writing) flush();
      else if (queuedBytes >= 8 * 2 ** 20) await writing;
    }
    while (writing || queuedBytes) { if (writing) await writing; if (queuedBytes) flush(); }
  } finally {
    await handle.close();
  }
}
`;
