import { MatrixError, limitExceeded, sendJson, tooLarge } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import {
  authenticate,
  contentLengthOf,
  isLegacyMediaPath,
  newMediaId,
  type MediaServerContext,
} from '../media-context.js';
import { receiveUpload } from '../upload-receiver.js';

/** `POST /_matrix/media/v3/upload`: the classic one-shot upload, streamed to disk like a PUT. */
export function uploadPostHandler(context: MediaServerContext): Handler {
  return async (request) => {
    const { req, res, url } = request;
    const owner = await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(url) });
    const declaredLength = contentLengthOf(req) ?? null;
    const limit = context.config.limits.maxUploadBytes;
    if (declaredLength !== null && declaredLength > limit) throw tooLarge(limit);
    const retryAfterMs = context.createLimiter.take(owner);
    if (retryAfterMs > 0) throw limitExceeded('Too many uploads; slow down', retryAfterMs);
    const now = context.clock.now();
    const record = await context.store.createMedia({
      serverName: context.config.serverName,
      mediaId: newMediaId(),
      owner,
      createdAt: now,
      expiresAt: now + context.config.limits.unusedExpiryMs,
      declaredLength,
      contentType: req.headers['content-type'] ?? null,
      fileName: url.searchParams.get('filename'),
    });
    context.live.acquireWriter(record);
    // Nobody holds this ID yet, so a one-shot upload that does not complete is abandoned, not resumable.
    const abandon = async (): Promise<void> => {
      await context.store.terminateMedia(record, 'cancelled');
      context.live.finish(record, 'cancelled');
    };
    try {
      const outcome = await receiveUpload(context, record, req, { expectedEnd: declaredLength }).catch(
        async (error: unknown) => {
          await abandon();
          throw error;
        },
      );
      if (outcome.kind !== 'complete') {
        await abandon();
        if (!res.headersSent) throw new MatrixError(400, 'M_INVALID_PARAM', 'The upload body ended early');
        return;
      }
      sendJson(res, 200, { content_uri: `mxc://${record.serverName}/${record.mediaId}` });
    } finally {
      context.live.releaseWriter(record);
    }
  };
}
