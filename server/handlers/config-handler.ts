import { sendJson } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { authenticate, isLegacyMediaPath, type MediaServerContext } from '../media-context.js';

/** The upload path template clients fill in; tus is advertised here once the tus endpoint is served. */
export const TUS_PATH_PREFIX = '/_matrix/media/unstable/org.matrix.msc4016/upload';
export const TUS_UPLOAD_PATH = `${TUS_PATH_PREFIX}/{serverName}/{mediaId}`;

/**
 * `GET /_matrix/client/v1/media/config` and `/_matrix/media/v3/config`: the upload limit, plus what a
 * client needs to discover streaming (MSC4016) under the MSC's namespace:
 *
 *   "org.matrix.msc4016": {
 *     "streaming_downloads": true,   // downloads of uploads in progress stream as bytes arrive
 *     "streaming_put": true,         // PUT /upload/{serverName}/{mediaId} is written as it arrives
 *     "range": true,                 // single byte ranges, waiting for bytes not yet uploaded
 *     "max_timeout_ms": N,           // the cap applied to timeout_ms
 *     "tus": { "version": "1.0.0", "extensions": [...], "endpoint": TUS_UPLOAD_PATH }   // only when served
 *   }
 */
export function configHandler(context: MediaServerContext, options: { tus: boolean }): Handler {
  return async (request) => {
    await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(request.url) });
    const { limits } = context.config;
    sendJson(request.res, 200, {
      'm.upload.size': limits.maxUploadBytes,
      'org.matrix.msc4016': {
        streaming_downloads: true,
        streaming_put: true,
        range: true,
        max_timeout_ms: limits.maxDownloadTimeoutMs,
        ...(options.tus && {
          tus: {
            version: '1.0.0',
            extensions: ['creation-defer-length', 'termination'],
            endpoint: TUS_UPLOAD_PATH,
          },
        }),
      },
    });
  };
}
