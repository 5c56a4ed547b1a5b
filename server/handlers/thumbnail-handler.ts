import { notFound } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { authenticate, loadMedia, mediaKeyOf, type MediaServerContext } from '../media-context.js';
import { notYetUploaded, timeoutOf } from './download-handler.js';

/**
 * Thumbnails of media this server created. It does not generate thumbnails (uploads are usually
 * end-to-end encrypted, so there is nothing it could render), but MSC2246 still asks that a
 * thumbnail request for media not yet uploaded wait for `timeout_ms` and then answer
 * `M_NOT_YET_UPLOADED`, so clients can tell "not yet" from "never". Other media is passed through.
 */
export function thumbnailHandler(context: MediaServerContext, passThrough: Handler): Handler {
  return async (request) => {
    const key = mediaKeyOf(context, request.params);
    if (!key.local) return passThrough(request);
    if (request.url.pathname.startsWith('/_matrix/client/v1/media/')) {
      await authenticate(context, request, { allowQueryToken: false });
    }
    const record = await loadMedia(context, key);
    if (!record) return passThrough(request);
    if (record.state === 'expired' || record.state === 'cancelled')
      throw notFound('This media expired or was cancelled');
    const closed = new AbortController();
    request.res.once('close', () => closed.abort());
    const unfollow = context.live.follow(record);
    try {
      const status = await context.live.waitFor(
        record,
        (s) => s.phase !== 'open' || s.writtenOffset > 0,
        timeoutOf(request.url, context.config.limits),
        closed.signal,
      );
      if (closed.signal.aborted) return;
      if (status.phase === 'open' && status.writtenOffset === 0) throw notYetUploaded();
      throw notFound('This server does not make thumbnails of the media it stores');
    } finally {
      unfollow();
    }
  };
}
