import type { ServerResponse } from 'node:http';
import type { MediaServerContext } from './media-context.js';
import type { MediaReader, MediaRecord } from './storage/media-store.js';

/** One read per reader at a time, this large: few system calls per byte, little memory per reader. */
const READ_BYTES = 256 * 1024;

/**
 * Sends [start, endExclusive) of an upload, complete or still arriving. Each reader keeps one open
 * reader of the stored file and one buffer for its whole response: it reads what is stored in large
 * reads, sends each only once the previous one was handed to the socket (so a slow client holds at most
 * one buffer, whatever the file size), and when it has caught up waits for the uploader's next bytes.
 * `endExclusive` null means "until the upload completes" (length unknown).
 *
 * A response only ends cleanly when every promised byte was sent. If the upload is cancelled, expires,
 * stalls past the idle timeout, or completes short of a promised end, the response is destroyed, so
 * the client sees a broken transfer and never mistakes a cut-off for a finished file.
 */
export async function streamMedia(
  context: MediaServerContext,
  record: MediaRecord,
  res: ServerResponse,
  start: number,
  endExclusive: number | null,
  signal: AbortSignal,
): Promise<void> {
  const abort = (reason: string): void => {
    context.log.info(`download of ${record.mediaId} aborted at byte ${position}: ${reason}`);
    res.destroy();
  };
  let position = start;
  let reader: MediaReader | undefined;
  let buffer: Buffer | undefined;
  try {
    for (;;) {
      if (signal.aborted) return;
      const status = context.live.status(record);
      const available = Math.min(status.writtenOffset, endExclusive ?? Number.MAX_SAFE_INTEGER);
      if (position < available) {
        reader ??= await context.store.openReader(record);
        buffer ??= Buffer.allocUnsafe(Math.min(READ_BYTES, (endExclusive ?? Number.MAX_SAFE_INTEGER) - start));
        const length = Math.min(buffer.length, available - position);
        await context.live.budgetOf(record)?.take(length);
        const target = buffer;
        const current = reader;
        const bytesRead = await context.readLimit.run(() => current.read(target, position, length));
        if (bytesRead === 0) throw new Error(`the stored file ends before byte ${position}`);
        position += bytesRead;
        await sent(res, buffer.subarray(0, bytesRead), signal);
        continue;
      }
      if (endExclusive !== null && position >= endExclusive) {
        res.end();
        return;
      }
      if (status.phase === 'complete') {
        if (endExclusive === null) res.end();
        else abort('the upload completed before the promised end');
        return;
      }
      if (status.phase !== 'open') return abort(`the upload was ${status.phase}`);
      const idleMs = context.config.limits.streamIdleTimeoutMs;
      const next = await context.live.waitFor(record, (s) => s.writtenOffset > position, idleMs, signal);
      if (next.phase === 'open' && next.writtenOffset <= position && !signal.aborted) {
        return abort(`no bytes arrived for ${idleMs} ms`);
      }
    }
  } catch (error) {
    if (!signal.aborted) abort(`reading failed: ${(error as Error).message}`);
  } finally {
    await reader?.close().catch(() => undefined);
  }
}

/** Resolves once the socket has taken `bytes` (so the buffer may be reused); rejects if the response broke. */
function sent(res: ServerResponse, bytes: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = (): void => reject(new Error('the response was closed'));
    signal.addEventListener('abort', closed, { once: true });
    res.write(bytes, (error) => {
      signal.removeEventListener('abort', closed);
      if (error) reject(error);
      else resolve();
    });
  });
}
