import type { ServerResponse } from 'node:http';
import { MatrixError, notFound } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { mediaKeyOf, readableMedia, type MediaServerContext } from '../media-context.js';
import { chooseThumbnailSize, parseThumbnailRequest } from '../thumbnails/thumbnail-size.js';
import { isThumbnailable, ThumbnailUnavailable, type Thumbnail } from '../thumbnails/thumbnailer.js';
import { MEDIA_CONTENT_SECURITY_POLICY, notYetUploaded, timeoutOf } from './download-handler.js';

/**
 * Thumbnails (`GET /_matrix/client/v1/media/thumbnail/…`, legacy `/_matrix/media/v3/thumbnail/…`, under
 * the same access rules as downloads: readableMedia) of media this server created: unencrypted images
 * are scaled or cropped as the client-server spec describes (docs/PROTOCOL.md §4.3), anything else
 * (encrypted uploads above all) has none and answers 404. MSC2246: for media not yet uploaded the
 * request waits for `timeout_ms` and then answers `M_NOT_YET_UPLOADED`, so clients can tell "not yet"
 * from "never"; a thumbnail needs the whole image, so an upload still in progress counts as not yet
 * uploaded. Other media is passed through.
 */
export function thumbnailHandler(context: MediaServerContext, passThrough: Handler): Handler {
  return async (request) => {
    const key = mediaKeyOf(context, request.params);
    if (!key.local) return passThrough(request);
    const record = await readableMedia(context, request, key);
    if (!record) return passThrough(request);
    const size = chooseThumbnailSize(parseThumbnailRequest(request.url));
    const closed = new AbortController();
    request.res.once('close', () => closed.abort());
    const unfollow = context.live.follow(record);
    try {
      const status = await context.live.waitFor(
        record,
        (s) => s.phase !== 'open',
        timeoutOf(request.url, context.config.limits),
        closed.signal,
      );
      if (closed.signal.aborted) return;
      if (status.phase === 'open') throw notYetUploaded();
      if (status.phase !== 'complete') throw notFound('This media was cancelled or expired');
    } finally {
      unfollow();
    }
    const complete = await context.store.getMedia(key);
    if (!complete || complete.state !== 'complete' || !isThumbnailable(complete)) {
      throw notFound('This server has no thumbnail of this media (only of unencrypted images stored here)');
    }
    let thumbnail: Thumbnail;
    try {
      thumbnail = await context.thumbnailer.thumbnail(complete, size);
    } catch (error) {
      if (error instanceof ThumbnailUnavailable) throw new MatrixError(404, 'M_NOT_FOUND', error.message);
      throw error;
    }
    sendThumbnail(request.res, thumbnail);
  };
}

function sendThumbnail(res: ServerResponse, thumbnail: Thumbnail): void {
  res.writeHead(200, {
    'Content-Type': thumbnail.contentType,
    'Content-Length': String(thumbnail.bytes.length),
    'Content-Disposition': `inline; filename=thumbnail.${thumbnail.contentType === 'image/png' ? 'png' : 'jpg'}`,
    'Content-Security-Policy': MEDIA_CONTENT_SECURITY_POLICY,
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'private, max-age=86400',
  });
  res.end(thumbnail.bytes);
}
