import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { accessTokenOf, missingToken } from './auth/access-token-verifier.js';
import type { TokenAuthenticator } from './auth/token-authenticator.js';
import type { Clock } from './clock.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { MediaServerConfig } from './config.js';
import { forbidden, invalidParam, MatrixError, notFound } from './http/matrix-error.js';
import type { RequestContext } from './http/router.js';
import type { LiveUploadRegistry } from './live-uploads.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Thumbnailer } from './thumbnails/thumbnailer.js';
import type { MediaKey, MediaRecord, MediaStore } from './storage/media-store.js';

export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const consoleLogger: Logger = {
  info: (line) => console.log(`${new Date().toISOString()} info ${line}`),
  warn: (line) => console.warn(`${new Date().toISOString()} warn ${line}`),
  error: (line) => console.error(`${new Date().toISOString()} error ${line}`),
};

/** Everything the handlers share: one instance per running server. */
export interface MediaServerContext {
  config: MediaServerConfig;
  store: MediaStore;
  live: LiveUploadRegistry;
  authenticator: TokenAuthenticator;
  /** The address of the client behind a request (X-Forwarded-For believed from trusted proxies only). */
  clientAddressOf: (req: IncomingMessage) => string;
  clock: Clock;
  createLimiter: RateLimiter;
  /** Disk reads of all downloads together (see ConcurrencyLimit): uploads' writes must not queue behind them. */
  readLimit: ConcurrencyLimit;
  thumbnailer: Thumbnailer;
  log: Logger;
}

/** Media IDs are 144 random bits in the spec's allowed alphabet ([A-Za-z0-9_-]), so they cannot be guessed. */
export function newMediaId(): string {
  return randomBytes(18).toString('base64url');
}

const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** The media addressed by a `{serverName}/{mediaId}` path, and whether this server owns that name. */
export function mediaKeyOf(context: MediaServerContext, params: Record<string, string>): MediaKey & { local: boolean } {
  const serverName = params.serverName ?? '';
  const mediaId = params.mediaId ?? '';
  if (!MEDIA_ID.test(mediaId)) throw invalidParam(`"${mediaId}" is not a valid media ID`);
  return { serverName, mediaId, local: serverName === context.config.serverName };
}

/** The Matrix user making the request, or a 401 (a 429 once its address has failed too often). */
export async function authenticate(
  context: MediaServerContext,
  request: RequestContext,
  options: { allowQueryToken: boolean },
): Promise<string> {
  const token = accessTokenOf(request.req, request.url, options.allowQueryToken);
  if (token === undefined) throw missingToken();
  const userId = await context.authenticator.userOf(token, request.clientAddress);
  request.userId = userId;
  return userId;
}

/** Legacy `/_matrix/media/v3/...` paths still accept `?access_token=`; the authenticated-media paths do not. */
export const isLegacyMediaPath = (url: URL): boolean => url.pathname.startsWith('/_matrix/media/v3/');

const isAuthenticatedMediaPath = (url: URL): boolean => url.pathname.startsWith('/_matrix/client/v1/media/');

/**
 * What Synapse (1.163, `enable_authenticated_media` on) answers on the legacy unauthenticated paths for
 * its own media created since, with or without a token: checked against the stack's Synapse.
 */
export const frozenMedia = (): MatrixError => new MatrixError(404, 'M_NOT_FOUND', 'Not found');

/**
 * The local media a download or thumbnail request reads, or undefined when this server does not hold
 * it (the caller passes the request through to the homeserver). The authenticated paths need a token.
 * The legacy unauthenticated ones, frozen by Matrix 1.11 (MSC3916), answer as the homeserver does for
 * its own new media unless the deployment turned authenticated media off: serving them there would
 * undo the homeserver's policy for everything this server stores.
 */
export async function readableMedia(
  context: MediaServerContext,
  request: RequestContext,
  key: MediaKey,
): Promise<MediaRecord | undefined> {
  const authenticated = isAuthenticatedMediaPath(request.url);
  if (authenticated) await authenticate(context, request, { allowQueryToken: false });
  const record = await loadMedia(context, key);
  if (!record) return undefined;
  if (!authenticated && context.config.enableAuthenticatedMedia) throw frozenMedia();
  if (record.state === 'expired' || record.state === 'cancelled') throw notFound('This media expired or was cancelled');
  return record;
}

/**
 * The upload a PUT or PATCH by `userId` writes to, after MSC2246's checks: it exists here and is open
 * (404), it is the user's (403), it has no content yet (409 M_CANNOT_OVERWRITE_MEDIA).
 */
export async function ownOpenUpload(
  context: MediaServerContext,
  key: MediaKey & { local: boolean },
  userId: string,
): Promise<MediaRecord> {
  const record = key.local ? await loadMedia(context, key) : undefined;
  if (!record || record.state === 'expired' || record.state === 'cancelled') {
    throw notFound('No such media to upload to: unknown, not local, expired or terminated');
  }
  if (record.owner !== userId) throw forbidden('Only the user who created this media may upload to it');
  if (record.state === 'complete') {
    throw new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media already has content');
  }
  return record;
}

/**
 * The record of local media, expiring it first if its `unused_expires_at` passed while nobody was
 * writing to it (the sweeper does the same in bulk; this makes the answer right between sweeps).
 */
export async function loadMedia(context: MediaServerContext, key: MediaKey): Promise<MediaRecord | undefined> {
  const record = await context.store.getMedia(key);
  if (!record) return undefined;
  if (isOverdue(context, record)) {
    await expireMedia(context, record);
    return { ...record, state: 'expired' };
  }
  return record;
}

export function isOverdue(context: MediaServerContext, record: MediaRecord): boolean {
  return (
    (record.state === 'pending' || record.state === 'uploading') &&
    record.expiresAt <= context.clock.now() &&
    !context.live.isBeingWritten(record) &&
    !isBeingWrittenElsewhere(context, record)
  );
}

/**
 * With a store shared by several instances, a part recorded within the body idle timeout means some
 * instance is writing the upload now (a writer records a part at least every `partDelayMs` while bytes
 * arrive, and a body that sends nothing for `bodyIdleTimeoutMs` is ended).
 */
function isBeingWrittenElsewhere(context: MediaServerContext, record: MediaRecord): boolean {
  if (record.lastWriteAt === undefined || record.lastWriteAt === null) return false;
  const quietMs = (context.config.limits.bodyIdleTimeoutMs || 60_000) + 5_000;
  return context.clock.now() - record.lastWriteAt < quietMs;
}

export async function expireMedia(context: MediaServerContext, record: MediaRecord): Promise<void> {
  await context.store.terminateMedia(record, 'expired');
  context.live.finish(record, 'expired');
  context.log.info(
    `expired unused media ${record.serverName}/${record.mediaId} (${record.uploadOffset} bytes removed)`,
  );
}

/** Content-Length as a safe integer, undefined when absent (chunked), 400 when malformed. */
export function contentLengthOf(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,16}$/.test(header) || !Number.isSafeInteger(Number(header))) {
    throw invalidParam(`Content-Length must be a non-negative whole number, not "${header}"`);
  }
  return Number(header);
}
