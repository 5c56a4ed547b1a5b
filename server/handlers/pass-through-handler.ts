import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { MatrixError } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import type { Logger } from '../media-context.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

/**
 * Media this server does not own (other servers' media, anything uploaded before it was deployed, and
 * thumbnails and previews of those) is passed through unchanged to the homeserver's own media
 * repository, so deploying Slipstream takes nothing away from existing clients.
 */
export function passThroughHandler(upstreamBase: string, log: Logger): Handler {
  const upstream = new URL(upstreamBase);
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return async ({ req, res, url }) => {
    const target = new URL(url.pathname + url.search, upstream);
    const upstreamRequest = send(target, { method: req.method, headers: endToEnd(req.headers) });
    const response = new Promise<void>((resolve, reject) => {
      upstreamRequest.once('error', reject);
      upstreamRequest.once('response', (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, endToEnd(upstreamResponse.headers));
        pipeline(upstreamResponse, res).then(resolve, (error: unknown) => {
          log.warn(`pass-through of ${url.pathname} broke: ${String(error)}`);
          res.destroy();
          resolve();
        });
      });
    });
    try {
      await Promise.all([pipeline(req, upstreamRequest), response]);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      throw new MatrixError(
        502,
        'M_UNKNOWN',
        `The homeserver's media repository could not be reached: ${String(error)}`,
      );
    }
  };
}
