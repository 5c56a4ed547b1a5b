import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { MediaServerContext } from './media-context.js';
import type { MediaRecord } from './storage/media-store.js';

/**
 * Sends [start, endExclusive) of an upload, complete or still arriving: what is stored is read from the
 * store (never buffered beyond one chunk per reader, with backpressure), then the reader waits for the
 * uploader's next bytes. `endExclusive` null means "until the upload completes" (length unknown).
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
  try {
    for (;;) {
      if (signal.aborted) return;
      const status = context.live.status(record);
      const available = Math.min(status.writtenOffset, endExclusive ?? Number.MAX_SAFE_INTEGER);
      if (position < available) {
        for await (const chunk of context.store.readRange(record, position, available)) {
          position += chunk.byteLength;
          if (!res.write(chunk)) await once(res, 'drain', { signal });
        }
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
  }
}
