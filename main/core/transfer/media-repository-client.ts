import { formatMxcUri, parseMxcUri, type MxcUri } from '../../../shared/matrix/mxc.js';
import {
  fetchTransport,
  nodeHttpTransport,
  type HttpRequestBody,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
import { MatrixHttpError, matrixHttpErrorOf } from './matrix-http-error.js';

/** What the homeserver's media repository can do, from its config endpoint (docs/PROTOCOL.md §4.1). */
export interface MediaCapabilities {
  /** `m.upload.size`, when the server states it. */
  readonly maxUploadBytes?: number;
  /** MSC4016 streaming: downloads of uploads in progress deliver bytes as they arrive. */
  readonly streamingDownloads: boolean;
  /** `PUT /upload/{serverName}/{mediaId}` is written as it arrives. */
  readonly streamingPut: boolean;
  /** Single byte ranges, waiting for bytes not yet uploaded. */
  readonly range: boolean;
  /** The cap the server applies to `timeout_ms`. */
  readonly maxTimeoutMs?: number;
  /** The tus endpoint template (`{serverName}`, `{mediaId}`), when tus is served. */
  readonly tusEndpoint?: string;
}

export interface CreatedMedia extends MxcUri {
  readonly contentUri: string;
  readonly unusedExpiresAt?: number;
  /**
   * MSC3870: where the content may be PUT straight into the server's storage (a presigned URL), and
   * the headers that PUT must carry (Slipstream's `org.slipstream.upload_headers`; signed with it).
   */
  readonly directUpload?: DirectUploadTarget;
}

export interface DirectUploadTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Slipstream's `/create` body field: the exact size the upload will have, which a presigned URL is bound to. */
const UPLOAD_SIZE_FIELD = 'org.slipstream.upload_size';
const UPLOAD_HEADERS_FIELD = 'org.slipstream.upload_headers';

export interface TusStatus {
  readonly offset: number;
  readonly length?: number;
}

export interface DownloadOptions {
  /** Inclusive byte range; `last` undefined means to the end. */
  readonly range?: { readonly first: number; readonly last?: number };
  /** MSC2246 `timeout_ms`: how long the server waits for content that is not uploaded yet. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A download's answer (200 or 206) with its body as it arrives: what `download` returns. */
export type DownloadStream = Pick<HttpResponse, 'status' | 'header' | 'body' | 'cancel'>;

/** Redirects a download follows (fetch follows up to 20); the Authorization header stays on its origin. */
const MAX_DOWNLOAD_REDIRECTS = 5;

export interface MediaRepositoryClientOptions {
  /** Base URL of the homeserver (its reverse proxy), e.g. `https://matrix.example.org`. */
  readonly homeserverUrl: string;
  readonly accessToken: string;
  /** Requests go through this fetch instead of node:http (http-transport.ts), e.g. in other runtimes. */
  readonly fetch?: typeof fetch;
}

const TUS_VERSION = '1.0.0';
const CAPABILITIES_TTL_MS = 60_000;

/**
 * The client side of the media repository: MSC2246 create, the three ways to upload (tus, streamed
 * PUT, one-shot POST), and downloads with `timeout_ms` and Range. Every refusal becomes a
 * MatrixHttpError carrying the status, errcode and `retry_after_ms`.
 *
 * Written on node:http (http-transport.ts says why) rather than matrix-js-sdk's media helpers: those
 * buffer whole uploads and know neither tus, streamed PUT nor Range, which are the point here.
 */
export class MediaRepositoryClient {
  readonly homeserverUrl: string;
  private readonly accessToken: string;
  private readonly transport: HttpTransport;

  constructor(options: MediaRepositoryClientOptions) {
    this.homeserverUrl = options.homeserverUrl.replace(/\/+$/, '');
    this.accessToken = options.accessToken;
    this.transport = options.fetch ? fetchTransport(options.fetch) : nodeHttpTransport;
  }

  get authorization(): Record<string, string> {
    return { Authorization: `Bearer ${this.accessToken}` };
  }

  private cachedCapabilities: { value: Promise<MediaCapabilities>; at: number } | undefined;

  /**
   * The server's capabilities, asked at most once a minute: every upload attempt needs them, and a
   * round trip before the first byte is latency a receiver waits through.
   */
  capabilities(signal?: AbortSignal): Promise<MediaCapabilities> {
    const now = performance.now();
    if (this.cachedCapabilities && now - this.cachedCapabilities.at < CAPABILITIES_TTL_MS) {
      return this.cachedCapabilities.value;
    }
    const value = this.fetchCapabilities(signal);
    this.cachedCapabilities = { value, at: now };
    value.catch(() => {
      if (this.cachedCapabilities?.value === value) this.cachedCapabilities = undefined;
    });
    return value;
  }

  /** The config endpoint, authenticated first, then the legacy one; a server with neither has no limits we know. */
  private async fetchCapabilities(signal?: AbortSignal): Promise<MediaCapabilities> {
    let response = await this.request('GET', '/_matrix/client/v1/media/config', { signal });
    if (response.status === 404 || response.status === 405) {
      response = await this.request('GET', '/_matrix/media/v3/config', { signal });
    }
    if (!response.ok) throw await matrixHttpErrorOf(response, 'reading the media configuration');
    const body = (await response.json()) as Record<string, unknown>;
    const streaming = body['org.matrix.msc4016'];
    const msc4016 = typeof streaming === 'object' && streaming !== null ? (streaming as Record<string, unknown>) : {};
    const tus =
      typeof msc4016['tus'] === 'object' && msc4016['tus'] !== null ? (msc4016['tus'] as Record<string, unknown>) : {};
    const size = body['m.upload.size'];
    const maxTimeout = msc4016['max_timeout_ms'];
    return {
      ...(typeof size === 'number' && size > 0 && { maxUploadBytes: size }),
      streamingDownloads: msc4016['streaming_downloads'] === true,
      streamingPut: msc4016['streaming_put'] === true,
      range: msc4016['range'] === true,
      ...(typeof maxTimeout === 'number' && { maxTimeoutMs: maxTimeout }),
      ...(tus['version'] === TUS_VERSION &&
        typeof tus['endpoint'] === 'string' &&
        tus['endpoint'].includes('{mediaId}') && { tusEndpoint: tus['endpoint'] }),
    };
  }

  /**
   * MSC2246 `/create`; undefined when the server does not implement it (then only a one-shot upload
   * works). `uploadSize` tells a server offering MSC3870's `upload_url` the exact size, so it can bind
   * the URL to it (others ignore the field).
   */
  async create(signal?: AbortSignal, uploadSize?: number): Promise<CreatedMedia | undefined> {
    const response = await this.request('POST', '/_matrix/media/v1/create', {
      signal,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(uploadSize === undefined ? {} : { [UPLOAD_SIZE_FIELD]: uploadSize }),
    });
    if (response.status === 404 || response.status === 405) {
      const error = await matrixHttpErrorOf(response, 'creating a media ID');
      if (error.errcode === undefined || error.errcode === 'M_UNRECOGNIZED') return undefined;
      throw error;
    }
    if (!response.ok) throw await matrixHttpErrorOf(response, 'creating a media ID');
    const body = (await response.json()) as Record<string, unknown>;
    if (typeof body.content_uri !== 'string') {
      throw new MatrixHttpError(response.status, undefined, 'the server answered /create without a content_uri');
    }
    return {
      ...parseMxcUri(body.content_uri),
      contentUri: body.content_uri,
      ...(typeof body.unused_expires_at === 'number' && { unusedExpiresAt: body.unused_expires_at }),
      ...directUploadOf(body),
    };
  }

  /**
   * MSC3870: PUTs `body` (exactly `length` bytes) to a presigned `upload_url`. The URL is the
   * storage's, not the homeserver's: the access token is never sent there.
   */
  async putDirect(
    target: DirectUploadTarget,
    body: AsyncIterable<Uint8Array>,
    length: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.transport({
      method: 'PUT',
      url: target.url,
      headers: { ...target.headers, 'Content-Length': String(length) },
      body,
      signal,
    });
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).slice(0, 300);
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      throw new MatrixHttpError(
        response.status,
        code,
        `uploading to the storage's upload_url failed: HTTP ${response.status}${code ? ` (${code})` : ''}`,
      );
    }
    await response.cancel();
  }

  /** MSC3870 `POST /_matrix/media/v3/upload/{serverName}/{mediaId}/complete`, after a PUT to `upload_url`. */
  async completeDirectUpload(media: MxcUri, signal?: AbortSignal): Promise<void> {
    const path = `/_matrix/media/v3/upload/${encodeURIComponent(media.serverName)}/${encodeURIComponent(media.mediaId)}/complete`;
    const response = await this.request('POST', path, {
      signal,
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (!response.ok) throw await matrixHttpErrorOf(response, 'completing the upload');
    await response.cancel();
  }

  /** The tus upload URL of a media ID, from the advertised endpoint template. */
  tusUploadUrl(capabilities: MediaCapabilities, media: MxcUri): string | undefined {
    if (capabilities.tusEndpoint === undefined) return undefined;
    const path = capabilities.tusEndpoint
      .replace('{serverName}', encodeURIComponent(media.serverName))
      .replace('{mediaId}', encodeURIComponent(media.mediaId));
    return new URL(path, `${this.homeserverUrl}/`).toString();
  }

  /** tus `HEAD`: how many bytes the server has acknowledged, and the length once declared. */
  async tusStatus(uploadUrl: string, signal?: AbortSignal): Promise<TusStatus> {
    const response = await this.transport({
      method: 'HEAD',
      url: uploadUrl,
      headers: { ...this.authorization, 'Tus-Resumable': TUS_VERSION },
      signal,
    });
    if (!response.ok) throw await matrixHttpErrorOf(response, 'asking the server how much it has');
    const offset = Number(response.header('Upload-Offset'));
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new MatrixHttpError(response.status, undefined, 'the server reported no valid Upload-Offset');
    }
    const lengthHeader = response.header('Upload-Length');
    const length = lengthHeader === undefined ? undefined : Number(lengthHeader);
    return { offset, ...(length !== undefined && Number.isSafeInteger(length) && { length }) };
  }

  /**
   * Declares a deferred-length tus upload's length with an empty PATCH, so readers learn the size
   * (Content-Length, 416) from the first moment rather than from the last PATCH.
   */
  async tusDeclareLength(uploadUrl: string, offset: number, length: number, signal?: AbortSignal): Promise<void> {
    const response = await this.transport({
      method: 'PATCH',
      url: uploadUrl,
      headers: {
        ...this.authorization,
        'Tus-Resumable': TUS_VERSION,
        'Upload-Offset': String(offset),
        'Upload-Length': String(length),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: new Uint8Array(0),
      signal,
    });
    if (!response.ok) throw await matrixHttpErrorOf(response, 'declaring the upload length');
    await response.cancel();
  }

  /** tus termination: the upload is cancelled and its readers are told. */
  async tusTerminate(uploadUrl: string, signal?: AbortSignal): Promise<void> {
    const response = await this.transport({
      method: 'DELETE',
      url: uploadUrl,
      headers: { ...this.authorization, 'Tus-Resumable': TUS_VERSION },
      signal,
    });
    if (!response.ok && response.status !== 404) {
      throw await matrixHttpErrorOf(response, 'cancelling the upload');
    }
    await response.cancel();
  }

  /** MSC2246 `PUT /upload/{serverName}/{mediaId}` with a streamed body of exactly `length` bytes. */
  async put(
    media: MxcUri,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    length: number,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = `/_matrix/media/v3/upload/${encodeURIComponent(media.serverName)}/${encodeURIComponent(media.mediaId)}`;
    const response = await this.request('PUT', path, {
      signal,
      headers: { 'Content-Type': contentType, 'Content-Length': String(length) },
      body,
    });
    if (!response.ok) throw await matrixHttpErrorOf(response, 'uploading');
    await response.cancel();
  }

  /** The classic one-shot `POST /_matrix/media/v3/upload`; returns the new `mxc://` URI. */
  async postUpload(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    length: number,
    contentType: string,
    fileName: string | undefined,
    signal?: AbortSignal,
  ): Promise<CreatedMedia> {
    const query = fileName === undefined ? '' : `?filename=${encodeURIComponent(fileName)}`;
    const response = await this.request('POST', `/_matrix/media/v3/upload${query}`, {
      signal,
      headers: { 'Content-Type': contentType, 'Content-Length': String(length) },
      body,
    });
    if (!response.ok) throw await matrixHttpErrorOf(response, 'uploading');
    const answer = (await response.json()) as { content_uri?: unknown };
    if (typeof answer.content_uri !== 'string') {
      throw new MatrixHttpError(response.status, undefined, 'the server answered the upload without a content_uri');
    }
    return { ...parseMxcUri(answer.content_uri), contentUri: answer.content_uri };
  }

  /**
   * An authenticated-media download (`/_matrix/client/v1/media/download`), streaming: returned as soon
   * as headers arrive, following up to 5 redirects (the token stays on its own origin). 200 and 206 are
   * returned; anything else becomes a MatrixHttpError.
   */
  async download(media: MxcUri, options: DownloadOptions = {}): Promise<DownloadStream> {
    const path = `/_matrix/client/v1/media/download/${encodeURIComponent(media.serverName)}/${encodeURIComponent(media.mediaId)}`;
    const query = options.timeoutMs === undefined ? '' : `?timeout_ms=${Math.max(0, Math.round(options.timeoutMs))}`;
    const headers: Record<string, string> = {};
    if (options.range) headers['Range'] = `bytes=${options.range.first}-${options.range.last ?? ''}`;
    const response = await this.request('GET', path + query, {
      signal: options.signal,
      headers,
      maxRedirects: MAX_DOWNLOAD_REDIRECTS,
    });
    if (response.status === 200 || response.status === 206) return response;
    throw await matrixHttpErrorOf(response, `downloading ${formatMxcUri(media)}`);
  }

  private request(
    method: string,
    path: string,
    init: {
      signal?: AbortSignal | undefined;
      headers?: Record<string, string>;
      body?: HttpRequestBody;
      maxRedirects?: number;
    },
  ): Promise<HttpResponse> {
    return this.transport({
      method,
      url: `${this.homeserverUrl}${path}`,
      headers: { ...this.authorization, ...init.headers },
      ...(init.body !== undefined && { body: init.body }),
      ...(init.maxRedirects !== undefined && { maxRedirects: init.maxRedirects }),
      signal: init.signal,
    });
  }
}

/** MSC3870's `upload_url` in a `/create` answer, with the headers Slipstream's server says to send. */
function directUploadOf(body: Record<string, unknown>): { directUpload?: DirectUploadTarget } {
  const url = body['upload_url'];
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return {};
  const given = body[UPLOAD_HEADERS_FIELD];
  const headers: Record<string, string> = {};
  if (typeof given === 'object' && given !== null) {
    for (const [name, value] of Object.entries(given)) {
      // Content-Length is the transport's to set (from the body); anything else is sent as given.
      if (typeof value === 'string' && name.toLowerCase() !== 'content-length') headers[name] = value;
    }
  }
  return { directUpload: { url, headers } };
}
