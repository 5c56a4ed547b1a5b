import { MatrixError, tooLarge } from './http/matrix-error.js';
import type { MediaServerContext } from './media-context.js';
import type { MediaAppender, MediaKey } from './storage/media-store.js';

export type ReceiveOutcome = { kind: 'complete'; length: number } | { kind: 'interrupted'; acknowledgedOffset: number };

/**
 * Streams a request body (a PUT's, or a tus PATCH's) onto the end of an upload as it arrives: every chunk is appended and announced
 * to live readers at once, and acknowledged (fsynced and recorded) every `acknowledgeEveryBytes` and
 * when the body ends or breaks. A broken connection keeps what arrived, so the upload can be resumed.
 * The caller holds the upload's writer slot.
 *
 * `expectedEnd` is the offset the body must end at (the declared length), or null when unknown: then the
 * upload completes when the body ends. `completeAtEnd` false leaves the upload open (a tus PATCH).
 */
export async function receiveUpload(
  context: MediaServerContext,
  key: MediaKey,
  body: AsyncIterable<Buffer>,
  expectedEnd: number | null,
  completeAtEnd = true,
): Promise<ReceiveOutcome> {
  const limit = context.config.limits.maxUploadBytes;
  const acknowledgeEvery = context.config.durability.acknowledgeEveryBytes;
  const appender: MediaAppender = await context.store.openAppender(key);
  let acknowledged = appender.writtenOffset;
  try {
    try {
      for await (const chunk of body) {
        // Terminated (tus DELETE) or expired while this body was still arriving: stop writing, and
        // never let the sender believe the upload succeeded.
        if (isEnded(context, key)) throw endedWhileWriting();
        const end = appender.writtenOffset + chunk.byteLength;
        if (end > limit) throw overLimit(limit);
        if (expectedEnd !== null && end > expectedEnd) {
          throw new MatrixError(400, 'M_INVALID_PARAM', `The body is longer than the declared ${expectedEnd} bytes`);
        }
        await appender.append(chunk);
        context.live.progress(key, appender.writtenOffset);
        if (appender.writtenOffset - acknowledged >= acknowledgeEvery) acknowledged = await appender.acknowledge();
      }
    } catch (error) {
      if (error instanceof MatrixError) throw error;
      // The connection broke mid-body: keep and acknowledge what arrived; the client resumes from it.
      const offset = await appender.acknowledge();
      context.live.progress(key, offset);
      return { kind: 'interrupted', acknowledgedOffset: offset };
    }
    if (expectedEnd !== null && appender.writtenOffset < expectedEnd) {
      const offset = await appender.acknowledge();
      return { kind: 'interrupted', acknowledgedOffset: offset };
    }
    if (isEnded(context, key)) throw endedWhileWriting();
    if (!completeAtEnd) {
      const offset = await appender.acknowledge();
      return { kind: 'interrupted', acknowledgedOffset: offset };
    }
    await appender.complete();
    context.live.finish(key, 'complete', appender.writtenOffset);
    return { kind: 'complete', length: appender.writtenOffset };
  } catch (error) {
    if (error instanceof MatrixError && error.errcode === 'M_NOT_FOUND') {
      // Ended by someone else: its data is already gone; nothing to acknowledge.
    } else if (error instanceof MatrixError && error.errcode === 'M_TOO_LARGE') {
      // Past the limit the upload can never complete: cancel it so readers stop and its data is freed.
      await context.store.terminateMedia(key, 'cancelled');
      context.live.finish(key, 'cancelled');
    } else {
      await appender.acknowledge().catch(() => undefined);
    }
    throw error;
  } finally {
    await appender.close();
  }
}

function isEnded(context: MediaServerContext, key: MediaKey): boolean {
  const phase = context.live.phaseOf(key);
  return phase === 'cancelled' || phase === 'expired';
}

function endedWhileWriting(): MatrixError {
  const error = new MatrixError(404, 'M_NOT_FOUND', 'The upload was cancelled or expired while it was being written');
  error.headers.Connection = 'close';
  return error;
}

/** The body is still arriving: answer and close the connection rather than read gigabytes we will discard. */
function overLimit(limit: number): MatrixError {
  const error = tooLarge(limit);
  error.headers.Connection = 'close';
  return error;
}
