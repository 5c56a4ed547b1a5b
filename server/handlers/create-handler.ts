import { limitExceeded, sendJson } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { authenticate, isLegacyMediaPath, newMediaId, type MediaServerContext } from '../media-context.js';
import { directUploadFields, promisedUploadSize } from '../msc3870/direct-upload-handlers.js';

/**
 * `POST /_matrix/media/v1/create` (MSC2246): an mxc:// URI with no content yet. Rate limited, and
 * limited in how many pending (created, unexpired, not yet uploaded) IDs a user may hold, which is what
 * stops a user filling rooms with URIs that never get content (MSC2246's security considerations).
 * With the object store it also offers MSC3870's `upload_url` (msc3870/direct-upload-handlers.ts).
 */
export function createHandler(context: MediaServerContext): Handler {
  return async (request) => {
    const owner = await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(request.url) });
    const retryAfterMs = context.createLimiter.take(owner);
    if (retryAfterMs > 0) throw limitExceeded('Too many media created; slow down', retryAfterMs);
    const { pendingUploadsPerUser, unusedExpiryMs, maxUploadBytes } = context.config.limits;
    const uploadSize = context.store.directUploads ? await promisedUploadSize(request.req, maxUploadBytes) : undefined;
    const now = context.clock.now();
    if ((await context.store.countPendingUploads(owner, now)) >= pendingUploadsPerUser) {
      // No exact time: a slot frees when an upload completes or expires. Suggest retrying in a minute.
      throw limitExceeded('Too many pending uploads; finish or abandon some before creating more', 60_000);
    }
    const record = await context.store.createMedia({
      serverName: context.config.serverName,
      mediaId: newMediaId(),
      owner,
      createdAt: now,
      expiresAt: now + unusedExpiryMs,
    });
    // MSC3870: with the object store, the client may PUT straight into it instead.
    const direct = await directUploadFields(context, record, uploadSize);
    sendJson(request.res, 200, {
      content_uri: `mxc://${record.serverName}/${record.mediaId}`,
      unused_expires_at: record.expiresAt,
      ...direct,
    });
  };
}
