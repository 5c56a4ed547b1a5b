import type { IncomingMessage } from 'node:http';
import { uploadInProgress } from '../handlers/upload-put-handler.js';
import { invalidParam, MatrixError, notFound, tooLarge } from '../http/matrix-error.js';
import type { RequestContext } from '../http/router.js';
import { authenticate, contentLengthOf, ownOpenUpload, type MediaServerContext } from '../media-context.js';
import type { MediaKey } from '../storage/media-store.js';
import { pastDeclaredLength, receiveUpload } from '../upload-receiver.js';

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
 * A PATCH that finds another request of the owner still writing the same upload (a PATCH or PUT whose
 * connection broke unnoticed, or that stalled) takes it over, as @tus/server's lock does: the old
 * request is cut, keeps and acknowledges what it received, and the new one must then match that
 * offset. A body whose Content-Length runs past the declared length is refused before a byte of it is
 * read, and before it takes anything over. The caller has validated the tus headers (validateTusHeaders).
 */
export async function patchUpload(context: MediaServerContext, request: RequestContext, key: MediaKey): Promise<void> {
  const { req, res } = request;
  res.setHeader('Tus-Resumable', '1.0.0');
  const userId = await authenticate(context, request, { allowQueryToken: false });
  const record = await ownOpenUpload(context, { ...key, local: true }, userId);
  const offset = Number(req.headers['upload-offset']);
  refuseOversizedBody(context, req, offset, uploadLengthOf(req) ?? record.declaredLength);
  const takeOver = new AbortController();
  if (!(await context.live.takeOver(record, () => takeOver.abort()))) throw uploadInProgress();
  try {
    // Read again inside the slot: the writer this request replaced may have acknowledged more.
    const current = await context.store.getMedia(key);
    if (!current || (current.state !== 'pending' && current.state !== 'uploading')) throw notFound('The upload ended');
    if (offset !== current.uploadOffset) throw offsetMismatch(current.uploadOffset, offset);
    const declaredLength = await declareLength(context, key, current.declaredLength, offset, req);
    const outcome = await receiveUpload(context, key, req, {
      expectedEnd: declaredLength,
      completeAtEnd: declaredLength !== null,
      takeOver: takeOver.signal,
      startOffset: offset,
    });
    const newOffset = outcome.kind === 'complete' ? outcome.length : outcome.acknowledgedOffset;
    if (!res.destroyed) res.writeHead(204, { 'Upload-Offset': String(newOffset) }).end();
  } finally {
    context.live.releaseWriter(key);
  }
}

const uploadLengthOf = (req: IncomingMessage): number | undefined => {
  const header = req.headers['upload-length'] as string | undefined;
  return header === undefined ? undefined : Number(header);
};

/**
 * tus's 413 "upload's size exceeded", decided from the headers alone: a body announced (Content-Length)
 * to run past the upload's length, or past this server's limit, is refused before it is read, so
 * nothing of it is stored. A chunked body is checked as it arrives instead (receiveUpload).
 */
function refuseOversizedBody(
  context: MediaServerContext,
  req: IncomingMessage,
  offset: number,
  uploadLength: number | null,
): void {
  const bodyLength = contentLengthOf(req);
  if (bodyLength === undefined) return;
  if (uploadLength !== null && offset + bodyLength > uploadLength) throw pastDeclaredLength(uploadLength);
  const limit = context.config.limits.maxUploadBytes;
  if (offset + bodyLength > limit) throw tooLarge(limit);
}

/** creation-defer-length: Upload-Length may come once, on any PATCH; returns the length now declared. */
async function declareLength(
  context: MediaServerContext,
  key: MediaKey,
  declared: number | null,
  offset: number,
  req: IncomingMessage,
): Promise<number | null> {
  const length = uploadLengthOf(req);
  if (length === undefined) return declared;
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
