import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { forbidden, invalidParam, MatrixError, notFound, sendJson, tooLarge } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { authenticate, isLegacyMediaPath, loadMedia, mediaKeyOf, type MediaServerContext } from '../media-context.js';
import type { MediaRecord } from '../storage/media-store.js';

/*
 * MSC3870 (upload to a URL): with the object store, `/create` also answers an `upload_url`, a presigned
 * PUT straight into the store, and the client finishes with `POST …/upload/{serverName}/{mediaId}/complete`
 * (or the unstable `/_matrix/media/unstable/com.beeper.msc3870/…/complete`). docs/PROTOCOL.md §4.6.
 */

/** The unstable feature flag advertised in `/versions` (the path's prefix, as the MSC's text intends). */
export const MSC3870_UNSTABLE_FEATURE = 'com.beeper.msc3870';
/** The MSC's "Unstable Prefix" section names this one (a typo for 3870, kept so clients that read it literally find it). */
export const MSC3870_UNSTABLE_FEATURE_AS_WRITTEN = 'com.beeper.msc3880';

/** Slipstream's extension to `/create`'s body: the exact size the direct upload will have. */
export const UPLOAD_SIZE_FIELD = 'org.slipstream.upload_size';

const MAX_CREATE_BODY = 4096;

/**
 * The size a `/create` body promises (JSON `{"org.slipstream.upload_size": n}`), if any. With it, the
 * presigned URL signs Content-Length: the store itself refuses a body of any other length, so the size
 * limit holds before a byte is stored. Without it, the limit is checked when the upload completes.
 */
export async function promisedUploadSize(req: IncomingMessage, limit: number): Promise<number | undefined> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) return undefined;
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_CREATE_BODY) throw invalidParam('The /create body is too long');
  }
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidParam('The /create body is not JSON');
  }
  const size = (body as Record<string, unknown> | null)?.[UPLOAD_SIZE_FIELD];
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalidParam(`${UPLOAD_SIZE_FIELD} must be a whole number of bytes`);
  }
  if (size > limit) throw tooLarge(limit);
  return size;
}

/** Slipstream's extension to `/create`'s answer: the headers a PUT to `upload_url` must carry. */
export const UPLOAD_HEADERS_FIELD = 'org.slipstream.upload_headers';

/**
 * The `upload_url` fields of `/create`'s answer for a media just created, when the store takes direct
 * uploads: the URL, and the headers signed into it (`If-None-Match: *`, so the content cannot be
 * replaced once uploaded; `Content-Length` when the client promised a size).
 */
export async function directUploadFields(
  context: MediaServerContext,
  record: MediaRecord,
  size: number | undefined,
): Promise<Record<string, unknown>> {
  const direct = context.store.directUploads;
  if (!direct || context.config.storage.kind !== 'object') return {};
  const { urlExpiresInSeconds } = context.config.storage.directUploads;
  const { url, headers } = await direct.presignUpload(record, {
    expiresInSeconds: urlExpiresInSeconds,
    ...(size !== undefined && { size }),
  });
  return { upload_url: url, [UPLOAD_HEADERS_FIELD]: headers };
}

/**
 * `POST /_matrix/media/v3/upload/{serverName}/{mediaId}/complete`: the creator says its PUT to the
 * `upload_url` is done. Answers `{"content_uri"}` once the object is in the store and within the size
 * limit (then the media is complete and downloads like any other); 404 M_NOT_YET_UPLOADED when nothing
 * arrived yet (call again after the PUT's 200), 413 when it is too large (the media is cancelled).
 */
export function completeDirectUploadHandler(context: MediaServerContext): Handler {
  return async (request) => {
    const owner = await authenticate(context, request, { allowQueryToken: isLegacyMediaPath(request.url) });
    const key = mediaKeyOf(context, request.params);
    const direct = context.store.directUploads;
    const record = key.local ? await loadMedia(context, key) : undefined;
    if (!record || !direct || record.state === 'expired' || record.state === 'cancelled') {
      throw notFound('No such media to complete: unknown, not local, expired or cancelled');
    }
    if (record.owner !== owner) throw forbidden('Only the user who created this media may complete its upload');
    const limit = context.config.limits.maxUploadBytes;
    const outcome = await direct.completeDirectUpload(key, limit);
    const contentUri = `mxc://${key.serverName}/${key.mediaId}`;
    switch (outcome.kind) {
      case 'complete':
        sendJson(request.res, 200, { content_uri: contentUri });
        return;
      case 'absent':
        throw new MatrixError(
          404,
          'M_NOT_YET_UPLOADED',
          'Nothing has been uploaded to the upload_url yet; PUT the content there first',
        );
      case 'too-large':
        throw new MatrixError(
          413,
          'M_TOO_LARGE',
          `The uploaded content (${outcome.length} bytes) is larger than this server's limit of ${limit} bytes; the media was cancelled`,
        );
      case 'not-direct':
        throw new MatrixError(
          409,
          'M_CANNOT_OVERWRITE_MEDIA',
          'This media is being uploaded through the media server, not its upload_url',
        );
    }
  };
}

/**
 * `GET /_matrix/client/versions`, routed here by the reverse proxy only where direct uploads are on:
 * the homeserver's answer with MSC3870's unstable feature added, as the MSC asks.
 */
export function versionsHandler(context: MediaServerContext): Handler {
  const upstream = new URL(context.config.homeserverUrl);
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return async ({ req, res, url }) => {
    const target = new URL(url.pathname + url.search, upstream);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = send(target, {
        method: 'GET',
        headers: req.headers.authorization ? { authorization: req.headers.authorization } : {},
      });
      outgoing.once('error', reject);
      outgoing.once('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 502, body }));
        response.once('error', reject);
      });
      outgoing.end();
    }).catch((error: unknown) => {
      throw new MatrixError(502, 'M_UNKNOWN', `The homeserver could not be reached: ${String(error)}`);
    });
    let versions: { unstable_features?: Record<string, boolean> } & Record<string, unknown>;
    try {
      versions = JSON.parse(answer.body) as typeof versions;
    } catch {
      throw new MatrixError(502, 'M_UNKNOWN', 'The homeserver answered /versions with something other than JSON');
    }
    const enabled = context.store.directUploads !== undefined;
    versions.unstable_features = {
      ...versions.unstable_features,
      [MSC3870_UNSTABLE_FEATURE]: enabled,
      [MSC3870_UNSTABLE_FEATURE_AS_WRITTEN]: enabled,
    };
    sendJson(res, answer.status, versions);
  };
}
