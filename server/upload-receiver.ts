import { AppendPipeline } from './append-pipeline.js';
import { arrivingChunks } from './arriving-body.js';
import { MatrixError, tooLarge } from './http/matrix-error.js';
import type { MediaServerContext } from './media-context.js';
import type { MediaAppender, MediaKey } from './storage/media-store.js';

export type ReceiveOutcome = { kind: 'complete'; length: number } | { kind: 'interrupted'; acknowledgedOffset: number };

export interface ReceiveOptions {
  /** The offset the body must end at (the declared length), or null when unknown: the body's end completes it. */
  readonly expectedEnd: number | null;
  /** false leaves the upload open when the body ends (a tus PATCH). */
  readonly completeAtEnd?: boolean;
  /** Aborted when a newer request by the upload's owner takes the upload over (LiveUploadRegistry.takeOver). */
  readonly takeOver?: AbortSignal;
  /**
   * The offset the body starts at, as the request checked it. With a store shared by several
   * instances, a writer elsewhere may record more between that check and the appender's opening;
   * then the body would land at the wrong place, so it is refused as an offset mismatch instead.
   */
  readonly startOffset?: number;
}

/**
 * Streams a request body (a PUT's, a one-shot POST's or a tus PATCH's) onto the end of an upload as it
 * arrives: chunks are written in batches as fast as the store takes them (`AppendPipeline`), announced
 * to live readers once written, and acknowledged (fdatasynced and recorded) every
 * `acknowledgeEveryBytes`, beside the following writes, and when the body ends or breaks. A broken
 * connection keeps what arrived, so the upload can be resumed; so do a body idle for
 * `bodyIdleTimeoutMs` (408) and one taken over by a newer request of the owner (409), which are answered
 * (arriving-body.ts). The caller holds the upload's writer slot.
 */
export async function receiveUpload(
  context: MediaServerContext,
  key: MediaKey,
  body: AsyncIterable<Buffer>,
  { expectedEnd, completeAtEnd = true, takeOver, startOffset }: ReceiveOptions,
): Promise<ReceiveOutcome> {
  const limit = context.config.limits.maxUploadBytes;
  const appender: MediaAppender = await context.store.openAppender(key);
  if (startOffset !== undefined && appender.writtenOffset !== startOffset) {
    await appender.close();
    throw new MatrixError(
      409,
      'ORG.MATRIX.MSC4016_OFFSET_MISMATCH',
      `The upload's offset is now ${appender.writtenOffset}, not ${startOffset}; HEAD it and resume from there`,
    );
  }
  const pipeline = new AppendPipeline(appender, {
    acknowledgeEvery: context.config.durability.acknowledgeEveryBytes,
    onWritten: (offset) => context.live.progress(key, offset),
  });
  // The caller holds the writer slot, so the upload is tracked and its budget exists.
  const readerBudget = context.live.budgetOf(key);
  readerBudget?.uploadStarted();
  try {
    try {
      for await (const chunk of arrivingChunks(body, context.config.limits.bodyIdleTimeoutMs, takeOver)) {
        // Terminated (tus DELETE) or expired while this body was still arriving: stop writing, and
        // never let the sender believe the upload succeeded.
        if (isEnded(context, key)) throw endedWhileWriting();
        const end = pipeline.receivedOffset + chunk.byteLength;
        if (end > limit) throw overLimit(limit);
        if (expectedEnd !== null && end > expectedEnd) throw pastDeclaredLength(expectedEnd);
        pipeline.push(chunk);
        readerBudget?.credit(chunk.byteLength);
        await pipeline.whileCongested();
      }
    } catch (error) {
      if (error instanceof MatrixError) throw error;
      // The connection broke mid-body: keep and acknowledge what arrived; the client resumes from it.
      const offset = await pipeline.acknowledgeAll();
      context.live.progress(key, offset);
      return { kind: 'interrupted', acknowledgedOffset: offset };
    }
    if (expectedEnd !== null && pipeline.receivedOffset < expectedEnd) {
      return { kind: 'interrupted', acknowledgedOffset: await pipeline.acknowledgeAll() };
    }
    if (isEnded(context, key)) throw endedWhileWriting();
    if (!completeAtEnd) return { kind: 'interrupted', acknowledgedOffset: await pipeline.acknowledgeAll() };
    await pipeline.complete();
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
      await pipeline.acknowledgeAll().catch(() => undefined);
    }
    throw error;
  } finally {
    readerBudget?.uploadEnded();
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

/** tus's "upload's size exceeded" (413), as Matrix JSON: the body runs past the declared length. */
export function pastDeclaredLength(declaredLength: number): MatrixError {
  const error = new MatrixError(
    413,
    'M_TOO_LARGE',
    `upload's size exceeded: the body runs past the declared length of ${declaredLength} bytes`,
  );
  error.headers.Connection = 'close';
  return error;
}

/** The body is still arriving: answer and close the connection rather than read gigabytes we will discard. */
function overLimit(limit: number): MatrixError {
  const error = tooLarge(limit);
  error.headers.Connection = 'close';
  return error;
}
