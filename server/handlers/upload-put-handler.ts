import { MatrixError, sendJson, tooLarge } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import {
  authenticate,
  contentLengthOf,
  isLegacyMediaPath,
  mediaKeyOf,
  ownOpenUpload,
  type MediaServerContext,
} from '../media-context.js';
import type { MediaRecord } from '../storage/media-store.js';
import { receiveUpload } from '../upload-receiver.js';
import { TUS_UPLOAD_PATH } from './config-handler.js';

export const uploadInProgress = (): MatrixError =>
  new MatrixError(409, 'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS', 'Another request is uploading to this media now');

/** A PUT writes a whole body from byte 0: once any byte is stored, only tus can continue the upload. */
function refuseIfStarted(context: MediaServerContext, record: MediaRecord): void {
  const stored = Math.max(record.uploadOffset, context.live.status(record).writtenOffset);
  if (stored > 0) {
    throw new MatrixError(
      409,
      'M_CANNOT_OVERWRITE_MEDIA',
      `This media already has ${stored} bytes from an interrupted upload; resume it with tus at ${TUS_UPLOAD_PATH}`,
    );
  }
}

/**
 * `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}` (MSC2246): the body is written as it arrives and
 * readers see it at once (MSC4016's streamed PUT). Content-Length, when sent, declares the final size up
 * front so readers get a Content-Length and can seek; a chunked body completes when it ends. Like a
 * PATCH, it takes the upload over from an earlier request of the owner that still holds it (a stalled
 * body): that one is cut and keeps what it sent, so this PUT then goes on only if nothing was stored.
 */
export function uploadPutHandler(context: MediaServerContext): Handler {
  return async (request) => {
    const { req, res, url } = request;
    const owner = await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(url) });
    const key = mediaKeyOf(context, request.params);
    const declaredLength = contentLengthOf(req) ?? null;
    const limit = context.config.limits.maxUploadBytes;
    const record = await ownOpenUpload(context, key, owner);
    refuseIfStarted(context, record);
    if (declaredLength !== null && declaredLength > limit) throw tooLarge(limit);
    const takeOver = new AbortController();
    if (!(await context.live.takeOver(record, () => takeOver.abort()))) throw uploadInProgress();
    try {
      // Read again inside the slot: the writer this request replaced may have stored bytes.
      refuseIfStarted(context, await ownOpenUpload(context, key, owner));
      await context.store.updateMetadata(key, {
        ...(declaredLength !== null && { declaredLength }),
        contentType: req.headers['content-type'] ?? record.contentType,
        fileName: url.searchParams.get('filename') ?? record.fileName,
      });
      context.live.progress(key, 0, declaredLength);
      const outcome = await receiveUpload(context, key, req, {
        expectedEnd: declaredLength,
        takeOver: takeOver.signal,
        startOffset: 0,
      });
      if (outcome.kind === 'complete') sendJson(res, 200, {});
      else context.log.info(`upload to ${key.mediaId} interrupted at ${outcome.acknowledgedOffset} bytes`);
    } finally {
      context.live.releaseWriter(key);
    }
  };
}
