import type { IncomingMessage } from 'node:http';
import { uploadInProgress } from '../handlers/upload-put-handler.js';
import { forbidden, invalidParam, MatrixError, notFound, tooLarge } from '../http/matrix-error.js';
import type { RequestContext } from '../http/router.js';
import { authenticate, loadMedia, type MediaServerContext } from '../media-context.js';
import type { MediaKey, MediaRecord } from '../storage/media-store.js';
import { receiveUpload } from '../upload-receiver.js';

/** How long a PATCH waits for an earlier PATCH on the same upload to let go (tus's "lock drain"). */
const TAKEOVER_WAIT_MS = 1_000;

export const offsetMismatch = (expected: number, sent: number): MatrixError =>
  new MatrixError(
    409,
    'ORG.MATRIX.MSC4016_OFFSET_MISMATCH',
    `Upload-Offset ${sent} does not match the upload's offset ${expected}; HEAD it and resume from there`,
  );

/**
 * tus PATCH (core protocol, with creation-defer-length's Upload-Length), the data path of tus. It reads
 * the body straight from the socket into the same `receiveUpload` as a streamed PUT. @tus/server serves
 * every other tus request, but its PATCH passes each body through a Web stream and back into a Node
 * stream (srvx's Request, Readable.fromWeb, a PassThrough, a size limiter) before the store sees a byte:
 * measured, that cost 0.2–0.3 CPU-seconds per GiB on the event loop and left tus 10–30 % slower than
 * the PUT (docs/benchmarks.md).
 *
 * A PATCH that finds another PATCH still writing the same upload (the client resumed after a broken
 * connection the server has not noticed yet) asks it to stop, as @tus/server's lock does: the old
 * request is cut, keeps and acknowledges what it received, and the new one must then match that offset.
 * The caller has validated the tus headers (validateTusHeaders).
 */
export async function patchUpload(context: MediaServerContext, request: RequestContext, key: MediaKey): Promise<void> {
  const { req, res } = request;
  res.setHeader('Tus-Resumable', '1.0.0');
  const userId = await authenticate(context, request, { allowQueryToken: false });
  const record = await loadMedia(context, key);
  if (!record || record.state === 'expired' || record.state === 'cancelled') {
    throw notFound('No such upload: unknown, not local, expired or terminated');
  }
  if (record.owner !== userId) throw forbidden('Only the creator may upload to this media');
  if (record.state === 'complete') {
    throw new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media already has content');
  }
  if (!(await takeWriterSlot(context, record, req))) throw uploadInProgress();
  try {
    // Read again inside the slot: an earlier writer may have just acknowledged more.
    const current = (await context.store.getMedia(key)) ?? record;
    const offset = Number(req.headers['upload-offset']);
    if (current.state !== 'pending' && current.state !== 'uploading') throw notFound('The upload ended');
    if (offset !== current.uploadOffset) throw offsetMismatch(current.uploadOffset, offset);
    const declaredLength = await declareLength(context, key, current.declaredLength, offset, req);
    const outcome = await receiveUpload(context, key, req, declaredLength, declaredLength !== null);
    const newOffset = outcome.kind === 'complete' ? outcome.length : outcome.acknowledgedOffset;
    if (!res.destroyed) res.writeHead(204, { 'Upload-Offset': String(newOffset) }).end();
  } finally {
    context.live.releaseWriter(key);
  }
}

/** The writer slot, after asking an earlier PATCH to let go and waiting briefly for it to do so. */
async function takeWriterSlot(
  context: MediaServerContext,
  record: MediaRecord,
  req: IncomingMessage,
): Promise<boolean> {
  const release = (): void => void req.destroy();
  if (context.live.acquireWriter(record, release)) return true;
  if (!context.live.requestWriterRelease(record)) return false;
  const deadline = performance.now() + TAKEOVER_WAIT_MS;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (context.live.acquireWriter(record, release)) return true;
  }
  return false;
}

/** creation-defer-length: Upload-Length may come once, on any PATCH; returns the length now declared. */
async function declareLength(
  context: MediaServerContext,
  key: MediaKey,
  declared: number | null,
  offset: number,
  req: IncomingMessage,
): Promise<number | null> {
  const header = req.headers['upload-length'] as string | undefined;
  if (header === undefined) return declared;
  const length = Number(header);
  if (declared !== null && declared !== length) {
    throw invalidParam(`Upload-Length was already declared as ${declared}`);
  }
  if (length < offset) throw invalidParam(`Upload-Length ${length} is less than the ${offset} bytes already uploaded`);
  if (length > context.config.limits.maxUploadBytes) throw tooLarge(context.config.limits.maxUploadBytes);
  if (declared === null) {
    await context.store.updateMetadata(key, { declaredLength: length });
    const record = await context.store.getMedia(key);
    if (record) context.live.progress(key, context.live.status(record).writtenOffset, length);
  }
  return length;
}
