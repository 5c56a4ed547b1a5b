import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { MemoryLocker, Server as TusServer } from '@tus/server';
import { TUS_PATH_PREFIX } from '../handlers/config-handler.js';
import { accessTokenOf, missingToken } from '../auth/access-token-verifier.js';
import { MatrixError } from '../http/matrix-error.js';
import type { Handler } from '../http/router.js';
import { loadMedia, type MediaServerContext } from '../media-context.js';
import { MediaTusStore } from './media-tus-store.js';
import { patchUpload } from './tus-patch.js';

export { TUS_PATH_PREFIX };
const TUS_PATH = new RegExp(
  `^${TUS_PATH_PREFIX.replaceAll('.', '\\.')}/(?<serverName>[^/]+)/(?<mediaId>[A-Za-z0-9_-]+)$`,
);

const NON_NEGATIVE_INTEGER = /^\d{1,16}$/;

/**
 * The tus headers checked before @tus/server sees the request, so malformed ones are refused as Matrix
 * errors naming the header and the value (@tus/server answers these in plain text, without its hook).
 */
export function validateTusHeaders(method: string, headers: IncomingHttpHeaders): void {
  if (method === 'OPTIONS') return;
  if (headers['tus-resumable'] !== '1.0.0') {
    throw new MatrixError(
      412,
      'M_INVALID_PARAM',
      'Tus-Resumable: 1.0.0 is required (the only tus version served)',
      {},
      {
        'Tus-Version': '1.0.0',
      },
    );
  }
  for (const name of ['upload-offset', 'upload-length'] as const) {
    const value = headers[name] as string | string[] | undefined;
    if (Array.isArray(value)) throw new MatrixError(400, 'M_INVALID_PARAM', `${name} may be sent only once`);
    if (value !== undefined && (!NON_NEGATIVE_INTEGER.test(value) || !Number.isSafeInteger(Number(value)))) {
      throw new MatrixError(
        400,
        'M_INVALID_PARAM',
        `${name} must be a non-negative whole number of bytes, not "${value}"`,
      );
    }
  }
  if (method === 'PATCH' && headers['upload-offset'] === undefined) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'A tus PATCH needs an Upload-Offset header');
  }
  if (method === 'PATCH' && headers['content-type'] !== 'application/offset+octet-stream') {
    throw new MatrixError(
      415,
      'M_INVALID_PARAM',
      'A tus PATCH body must be Content-Type: application/offset+octet-stream',
    );
  }
}

/** tus errors carry a status and a plain-text body; Matrix clients expect `{errcode, error}`. */
function errcodeFor(status: number): string {
  if (status === 404 || status === 410) return 'M_NOT_FOUND';
  if (status === 403) return 'M_FORBIDDEN';
  if (status === 413) return 'M_TOO_LARGE';
  if (status === 409) return 'ORG.MATRIX.MSC4016_OFFSET_MISMATCH';
  if (status === 423) return 'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS';
  return status >= 500 ? 'M_UNKNOWN' : 'M_INVALID_PARAM';
}

/**
 * Requests whose tus error answer was turned into Matrix JSON by `onResponseError`, with the headers
 * their MatrixError carries (Retry-After, …), which @tus/server has no way to send.
 */
const answeredWithMatrixJson = new WeakMap<IncomingMessage, Record<string, string>>();

type HeaderArgument = OutgoingHttpHeaders | readonly (string | number | readonly string[])[] | undefined;

/** The same headers with Content-Type application/json, in whichever shape writeHead was given them. */
function withJsonContentType(headers: HeaderArgument): HeaderArgument {
  const isContentType = (name: unknown): boolean => String(name).toLowerCase() === 'content-type';
  if (headers === undefined) return { 'Content-Type': 'application/json' };
  if (!Array.isArray(headers)) {
    const entries = Object.entries(headers).filter(([name]) => !isContentType(name));
    return { ...Object.fromEntries(entries), 'Content-Type': 'application/json' };
  }
  const flat: (string | number | readonly string[])[] = [];
  if (headers.length > 0 && Array.isArray(headers[0])) {
    for (const [name, value] of headers as readonly (readonly [string, string])[]) {
      if (!isContentType(name)) flat.push(name, value);
    }
  } else {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (!isContentType(headers[i])) flat.push(headers[i]!, headers[i + 1]!);
    }
  }
  return [...flat, 'Content-Type', 'application/json'];
}

/**
 * @tus/server sends every error body as text (a Web Response built from a string is text/plain), and
 * gives `onResponseError` no way to change the headers. Our errors are Matrix JSON: label them so.
 * Its own plain-text refusals (which never reach `onResponseError`) keep their text/plain.
 */
function labelMatrixJsonErrors(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((statusCode: number, ...rest: unknown[]): ServerResponse => {
    const extraHeaders = answeredWithMatrixJson.get(req);
    if (!extraHeaders) return writeHead(statusCode, ...rest);
    for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
    const statusMessage = typeof rest[0] === 'string' ? [rest[0]] : [];
    const headers = rest[statusMessage.length] as HeaderArgument;
    return writeHead(statusCode, ...statusMessage, withJsonContentType(headers));
  }) as typeof res.writeHead;
}

/** The Node request behind @tus/server's Web Request (srvx keeps it under `runtime.node`). */
const nodeRequestOf = (req: Request): IncomingMessage | undefined =>
  (req as Request & { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;

/**
 * tus 1.0.0 (OPTIONS, HEAD, PATCH, DELETE) on `…/org.matrix.msc4016/upload/{serverName}/{mediaId}`,
 * served by @tus/server over `MediaTusStore`. Auth and ownership are checked in `onIncomingRequest`,
 * before @tus/server touches the upload: the same rules as the PUT.
 */
export function tusHandler(context: MediaServerContext): Handler {
  const tus = new TusServer({
    path: TUS_PATH_PREFIX,
    datastore: new MediaTusStore(context),
    locker: new MemoryLocker(),
    maxSize: context.config.limits.maxUploadBytes,
    disableTerminationForFinishedUploads: true,
    // A request that needs an upload's lock (a DELETE, or a resumed PATCH after a dropped connection)
    // asks the holder to let go and waits this long before cutting it; tus's default, 3 s, left readers
    // receiving bytes of a cancelled upload for three seconds.
    lockDrainTimeout: 250,
    getFileIdFromRequest(req) {
      const match = TUS_PATH.exec(new URL(req.url).pathname);
      if (!match || match.groups?.serverName !== context.config.serverName) return undefined;
      return match.groups.mediaId;
    },
    async onIncomingRequest(req, uploadId) {
      const url = new URL(req.url);
      const token = accessTokenOf(
        { headers: { authorization: req.headers.get('authorization') ?? undefined } } as never,
        url,
        false,
      );
      if (token === undefined) throw missingToken();
      const nodeRequest = nodeRequestOf(req);
      const clientAddress = nodeRequest ? context.clientAddressOf(nodeRequest) : 'unknown';
      const userId = await context.authenticator.userOf(token, clientAddress);
      const record = await loadMedia(context, { serverName: context.config.serverName, mediaId: uploadId });
      if (!record || record.state === 'expired' || record.state === 'cancelled') {
        throw new MatrixError(404, 'M_NOT_FOUND', 'No such upload: unknown, not local, expired or terminated');
      }
      if (record.owner !== userId)
        throw new MatrixError(403, 'M_FORBIDDEN', 'Only the creator may upload to this media');
    },
    onResponseError(req, error) {
      const nodeRequest = nodeRequestOf(req);
      if (nodeRequest) answeredWithMatrixJson.set(nodeRequest, error instanceof MatrixError ? error.headers : {});
      if (error instanceof MatrixError) {
        const body = { errcode: error.errcode, error: error.message, ...error.extra };
        return { status_code: error.status, body: JSON.stringify(body) };
      }
      const status = 'status_code' in error ? error.status_code : 500;
      const message = ('body' in error ? error.body : error.message).trim() || 'Upload failed';
      return { status_code: status, body: JSON.stringify({ errcode: errcodeFor(status), error: message }) };
    },
  });
  return async (request) => {
    const { req, res, url } = request;
    validateTusHeaders(req.method ?? '', req.headers);
    if (req.method === 'PATCH') {
      const match = TUS_PATH.exec(url.pathname);
      if (!match || match.groups?.serverName !== context.config.serverName) {
        throw new MatrixError(404, 'M_NOT_FOUND', 'No such upload on this server', {}, { 'Tus-Resumable': '1.0.0' });
      }
      await patchUpload(context, request, { serverName: context.config.serverName, mediaId: match.groups.mediaId! });
      return;
    }
    labelMatrixJsonErrors(req, res);
    await tus.handle(req, res);
  };
}

export const isTusPath = (pathname: string): boolean =>
  TUS_PATH.test(pathname) || pathname.startsWith(`${TUS_PATH_PREFIX}/`);
