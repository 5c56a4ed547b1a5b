import { MatrixError, forbidden, notFound, sendJson, tooLarge } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import {
  authenticate,
  contentLengthOf,
  isLegacyMediaPath,
  loadMedia,
  mediaKeyOf,
  type MediaServerContext,
} from '../media-context.js';
import { receiveUpload } from '../upload-receiver.js';
import { TUS_UPLOAD_PATH } from './config-handler.js';

export const uploadInProgress = (): MatrixError =>
  new MatrixError(409, 'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS', 'Another request is uploading to this media now');

/**
 * `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}` (MSC2246): the body is written as it arrives and
 * readers see it at once (MSC4016's streamed PUT). Content-Length, when sent, declares the final size up
 * front so readers get a Content-Length and can seek; a chunked body completes when it ends.
 */
export function uploadPutHandler(context: MediaServerContext): Handler {
  return async (request) => {
    const { req, res, url } = request;
    const owner = await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(url) });
    const key = mediaKeyOf(context, request.params);
    const declaredLength = contentLengthOf(req) ?? null;
    const limit = context.config.limits.maxUploadBytes;
    const record = key.local ? await loadMedia(context, key) : undefined;
    if (!record || record.state === 'expired' || record.state === 'cancelled') {
      throw notFound('No such media to upload to: unknown, not local, or expired');
    }
    if (record.owner !== owner) throw forbidden('Only the user who created this media may upload to it');
    if (record.state === 'complete') {
      throw new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media already has content');
    }
    if (record.uploadOffset > 0) {
      throw new MatrixError(
        409,
        'M_CANNOT_OVERWRITE_MEDIA',
        `This media already has ${record.uploadOffset} bytes from an interrupted upload; resume it with tus at ${TUS_UPLOAD_PATH}`,
      );
    }
    if (declaredLength !== null && declaredLength > limit) throw tooLarge(limit);
    if (!context.live.acquireWriter(record)) throw uploadInProgress();
    try {
      await context.store.updateMetadata(key, {
        ...(declaredLength !== null && { declaredLength }),
        contentType: req.headers['content-type'] ?? record.contentType,
        fileName: url.searchParams.get('filename') ?? record.fileName,
      });
      context.live.progress(key, 0, declaredLength);
      const outcome = await receiveUpload(context, key, req, declaredLength);
      if (outcome.kind === 'complete') sendJson(res, 200, {});
      else context.log.info(`upload to ${key.mediaId} interrupted at ${outcome.acknowledgedOffset} bytes`);
    } finally {
      context.live.releaseWriter(key);
    }
  };
}
