import type { ServerResponse } from 'node:http';
import { streamMedia } from '../download-stream.js';
import { MatrixError, invalidParam, notFound } from '../http/matrix-error.js';
import { rangeOf, resolveRange, unsatisfiable, type RequestedRange } from '../http/range.js';
import type { Handler } from '../http/router.js';
import type { LiveUploadStatus } from '../live-uploads.js';
import { mediaKeyOf, readableMedia, type MediaServerContext } from '../media-context.js';
import type { MediaRecord } from '../storage/media-store.js';

export const notYetUploaded = (): MatrixError =>
  new MatrixError(504, 'M_NOT_YET_UPLOADED', 'The media has not been uploaded yet (or not this far); try again later');

/** MSC2246's `timeout_ms` (or its unstable name), defaulted and capped by the configuration. */
export function timeoutOf(
  url: URL,
  limits: { defaultDownloadTimeoutMs: number; maxDownloadTimeoutMs: number },
): number {
  const text = url.searchParams.get('timeout_ms') ?? url.searchParams.get('fi.mau.msc2246.timeout_ms');
  if (text === null) return Math.min(limits.defaultDownloadTimeoutMs, limits.maxDownloadTimeoutMs);
  if (!/^\d{1,16}$/.test(text)) throw invalidParam(`timeout_ms must be a non-negative whole number, not "${text}"`);
  return Math.min(Number(text), limits.maxDownloadTimeoutMs);
}

/** The final length, once known: the declared length, or the offset at which the upload completed. */
const totalOf = (status: LiveUploadStatus): number | null =>
  status.phase === 'complete' ? status.writtenOffset : status.declaredLength;

/** Whether the server can answer now: the first requested byte is stored, or the answer is a 416. */
function canAnswer(status: LiveUploadStatus, range: RequestedRange | undefined): boolean {
  if (status.phase === 'complete') return true;
  const total = totalOf(status);
  if (!range) return status.writtenOffset > 0;
  if (range.kind === 'suffix') {
    if (total === null) return false;
    if (range.length === 0 || total === 0) return true;
    return status.writtenOffset > Math.max(0, total - range.length);
  }
  if (total !== null && range.first >= total) return true;
  return status.writtenOffset > range.first;
}

interface ResponsePlan {
  statusCode: 200 | 206;
  start: number;
  endExclusive: number | null;
  contentRange?: string;
}

function planResponse(status: LiveUploadStatus, range: RequestedRange | undefined): ResponsePlan {
  const total = totalOf(status);
  if (!range) return { statusCode: 200, start: 0, endExclusive: total };
  if (total !== null) {
    const { start, endExclusive } = resolveRange(range, total);
    return { statusCode: 206, start, endExclusive, contentRange: `bytes ${start}-${endExclusive - 1}/${total}` };
  }
  if (range.kind === 'suffix') throw unsatisfiable(status.writtenOffset);
  // Length not declared yet: a bounded range is promised whole; an open one gets what is stored now.
  const last = range.last ?? status.writtenOffset - 1;
  return {
    statusCode: 206,
    start: range.first,
    endExclusive: last + 1,
    contentRange: `bytes ${range.first}-${last}/*`,
  };
}

/** As the client-server spec recommends for media, so served content can never run as a page. */
export const MEDIA_CONTENT_SECURITY_POLICY =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

/* Types a browser may render inline from a media origin; anything else is offered as a download. */
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/[\w.+-]+|audio\/[\w.+-]+|text\/plain)(;.*)?$/i;

function writeHeaders(
  res: ServerResponse,
  record: MediaRecord,
  fileName: string | null,
  plan: ResponsePlan,
  open: boolean,
): void {
  const contentType = record.contentType ?? 'application/octet-stream';
  res.statusCode = plan.statusCode;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Accept-Ranges', 'bytes');
  if (plan.endExclusive !== null) res.setHeader('Content-Length', String(plan.endExclusive - plan.start));
  if (plan.contentRange) res.setHeader('Content-Range', plan.contentRange);
  const disposition = INLINE_TYPES.test(contentType) ? 'inline' : 'attachment';
  res.setHeader(
    'Content-Disposition',
    fileName ? `${disposition}; filename*=UTF-8''${encodeURIComponent(fileName)}` : disposition,
  );
  res.setHeader('Content-Security-Policy', MEDIA_CONTENT_SECURITY_POLICY);
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Cache-Control', open ? 'no-store' : 'private, max-age=86400');
}

/**
 * Downloads: `GET`/`HEAD` `/_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}]`
 * (authenticated) and the legacy `/_matrix/media/v3/download/...` (unauthenticated, and for this
 * server's media only where the homeserver has authenticated media off: readableMedia). Media this
 * server did not create is passed through to the homeserver's media repository.
 */
export function downloadHandler(context: MediaServerContext, passThrough: Handler): Handler {
  return async (request) => {
    const { req, res, url } = request;
    const key = mediaKeyOf(context, request.params);
    if (!key.local) return passThrough(request);
    const record = await readableMedia(context, request, key);
    if (!record) return passThrough(request);
    const timeoutMs = timeoutOf(url, context.config.limits);
    const range = rangeOf(req);

    const unfollow = context.live.follow(record);
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    try {
      const status = await context.live.waitFor(record, (s) => canAnswer(s, range), timeoutMs, closed.signal);
      if (closed.signal.aborted) return;
      if (status.phase === 'cancelled' || status.phase === 'expired')
        throw notFound('This media was cancelled or expired');
      if (!canAnswer(status, range)) throw notYetUploaded();
      const plan = planResponse(status, range);
      writeHeaders(res, record, request.params.fileName ?? record.fileName, plan, status.phase === 'open');
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      res.flushHeaders();
      await streamMedia(context, record, res, plan.start, plan.endExclusive, closed.signal);
    } finally {
      unfollow();
    }
  };
}
