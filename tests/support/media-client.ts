import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ensureStack, registerUser, type MatrixUser, type StackInfo } from './stack.js';

/*
 * Authenticated requests to the media server through the stack's nginx (`stack.baseUrl`), for the
 * integration tests: /create, PUT, the tus endpoint, and downloads read with node:http so a test can
 * see exactly how a response ended (cleanly, or aborted) and when its first bytes arrived.
 */

export interface MediaRef {
  readonly contentUri: string;
  readonly serverName: string;
  readonly mediaId: string;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The Matrix JSON error code, when the body is one. */
  readonly errcode: string | undefined;
}

/** How a download ended: every byte the server promised and a clean end, or a broken transfer. */
export interface ReadResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly outcome: 'complete' | 'aborted';
  readonly error: Error | undefined;
  /** performance.now() when the response headers, and the first body bytes, arrived. */
  readonly headersAt: number;
  readonly firstByteAt: number | undefined;
  /** When each piece of the body arrived (performance.now()) and the bytes received by then. */
  readonly arrivals: readonly { readonly at: number; readonly total: number }[];
}

/** A download in flight: `firstByte` resolves when its first body bytes arrive, `done` when it ends. */
export interface Reader {
  readonly firstByte: Promise<number>;
  readonly done: Promise<ReadResult>;
  /** Bytes received so far. */
  received(): number;
  /** Whether the response (its status and headers) has arrived. */
  answered(): boolean;
}

export const TUS_RESUMABLE = '1.0.0';
const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

function errcodeOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errcode?: unknown };
    return typeof parsed.errcode === 'string' ? parsed.errcode : undefined;
  } catch {
    return undefined;
  }
}

export function splitContentUri(contentUri: string): MediaRef {
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(contentUri);
  if (!match?.[1] || !match[2]) throw new Error(`not an mxc URI: ${contentUri}`);
  return { contentUri, serverName: match[1], mediaId: match[2] };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class MediaClient {
  constructor(
    readonly stack: StackInfo,
    readonly user: MatrixUser,
  ) {}

  get authorization(): string {
    return `Bearer ${this.user.accessToken}`;
  }

  /** The tus upload URL of a media ID (docs/PROTOCOL.md §4.2): the media ID is the tus upload. */
  tusUrl(media: MediaRef): string {
    return `${this.stack.baseUrl}/_matrix/media/unstable/org.matrix.msc4016/upload/${media.serverName}/${media.mediaId}`;
  }

  downloadUrl(media: MediaRef, timeoutMs?: number): string {
    const query = timeoutMs === undefined ? '' : `?timeout_ms=${timeoutMs}`;
    return `${this.stack.baseUrl}/_matrix/client/v1/media/download/${media.serverName}/${media.mediaId}${query}`;
  }

  async request(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
    const response = await fetch(url, {
      method,
      headers: { Authorization: this.authorization, ...headers },
      body: body ?? null,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, errcode: errcodeOf(text) };
  }

  async create(): Promise<MediaRef> {
    const reply = await this.request(
      'POST',
      `${this.stack.baseUrl}/_matrix/media/v1/create`,
      { 'Content-Type': 'application/json' },
      Buffer.from('{}'),
    );
    if (reply.status !== 200) throw new Error(`/create: HTTP ${reply.status} ${reply.text}`);
    return splitContentUri((JSON.parse(reply.text) as { content_uri: string }).content_uri);
  }

  put(media: MediaRef, bytes: Buffer): Promise<Reply> {
    return this.request(
      'PUT',
      `${this.stack.baseUrl}/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`,
      { 'Content-Type': 'application/octet-stream' },
      bytes,
    );
  }

  /** A raw tus PATCH; `uploadLength` declares the length (creation-defer-length). */
  tusPatch(media: MediaRef, offset: number, bytes: Buffer, uploadLength?: number): Promise<Reply> {
    return this.request(
      'PATCH',
      this.tusUrl(media),
      {
        'Tus-Resumable': TUS_RESUMABLE,
        'Upload-Offset': String(offset),
        'Content-Type': OFFSET_OCTET_STREAM,
        ...(uploadLength !== undefined && { 'Upload-Length': String(uploadLength) }),
      },
      bytes,
    );
  }

  /**
   * Declares the upload's length with a PATCH of zero bytes at offset 0, so that HEAD reports
   * Upload-Length and readers get Content-Length from the start.
   */
  async declareLength(media: MediaRef, length: number): Promise<void> {
    const reply = await this.tusPatch(media, 0, Buffer.alloc(0), length);
    if (reply.status !== 204) throw new Error(`declaring the length: HTTP ${reply.status} ${reply.text}`);
  }

  tusHead(media: MediaRef): Promise<Reply> {
    return this.request('HEAD', this.tusUrl(media), { 'Tus-Resumable': TUS_RESUMABLE });
  }

  tusDelete(media: MediaRef): Promise<Reply> {
    return this.request('DELETE', this.tusUrl(media), { 'Tus-Resumable': TUS_RESUMABLE });
  }

  /** A whole download with fetch (for media that is complete or about to be). */
  async download(
    media: MediaRef,
    init: { timeoutMs?: number; range?: string } = {},
  ): Promise<Reply & { bytes: Buffer }> {
    const response = await fetch(this.downloadUrl(media, init.timeoutMs), {
      headers: { Authorization: this.authorization, ...(init.range !== undefined && { Range: init.range }) },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    return { status: response.status, headers: response.headers, text, errcode: errcodeOf(text), bytes };
  }

  /**
   * Starts a download with node:http on its own connection and follows it to the end, recording when
   * the first bytes arrived and whether the response ended cleanly or was aborted.
   */
  read(media: MediaRef, init: { timeoutMs?: number; range?: string } = {}): Reader {
    let receivedBytes = 0;
    let answered = false;
    let resolveFirst!: (at: number) => void;
    let rejectFirst!: (error: Error) => void;
    const firstByte = new Promise<number>((resolve, reject) => {
      resolveFirst = resolve;
      rejectFirst = reject;
    });
    firstByte.catch(() => undefined);
    const done = new Promise<ReadResult>((resolve, reject) => {
      const req = httpRequest(this.downloadUrl(media, init.timeoutMs), {
        method: 'GET',
        agent: false,
        headers: { Authorization: this.authorization, ...(init.range !== undefined && { Range: init.range }) },
      });
      req.on('error', (error) => {
        rejectFirst(error);
        reject(error);
      });
      req.on('response', (res) => {
        const headersAt = performance.now();
        answered = true;
        const chunks: Buffer[] = [];
        const arrivals: { at: number; total: number }[] = [];
        let firstByteAt: number | undefined;
        let error: Error | undefined;
        let ended = false;
        res.on('data', (chunk: Buffer) => {
          if (firstByteAt === undefined) {
            firstByteAt = performance.now();
            resolveFirst(firstByteAt);
          }
          receivedBytes += chunk.byteLength;
          chunks.push(chunk);
          arrivals.push({ at: performance.now(), total: receivedBytes });
        });
        res.on('end', () => {
          ended = true;
        });
        res.on('error', (cause) => {
          error = cause;
        });
        res.on('close', () => {
          const outcome = ended && res.complete && error === undefined ? 'complete' : 'aborted';
          if (firstByteAt === undefined) rejectFirst(new Error(`no body bytes (${outcome}, HTTP ${res.statusCode})`));
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            outcome,
            error,
            headersAt,
            firstByteAt,
            arrivals,
          });
        });
      });
      req.end();
    });
    return { firstByte, done, received: () => receivedBytes, answered: () => answered };
  }

  /**
   * A slow streamed upload on its own connection: `method` PUT (MSC2246) or PATCH (tus, from
   * `offset`), writing `chunks` one every `intervalMs`. `beforeChunk(i)` may wait (e.g. for a reader);
   * `writtenAt[i]` is performance.now() when chunk i was handed to the socket.
   */
  slowUpload(
    media: MediaRef,
    chunks: readonly Buffer[],
    options: {
      method: 'PUT' | 'PATCH';
      intervalMs: number;
      /** Sends Content-Length (the total) rather than Transfer-Encoding: chunked. */
      contentLength?: number;
      offset?: number;
      beforeChunk?: (index: number) => Promise<void>;
    },
  ): { writtenAt: number[]; response: Promise<{ status: number; text: string; finishedAt: number }> } {
    const writtenAt: number[] = [];
    const url =
      options.method === 'PUT'
        ? `${this.stack.baseUrl}/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`
        : this.tusUrl(media);
    const headers: Record<string, string> = {
      Authorization: this.authorization,
      'Content-Type': options.method === 'PUT' ? 'application/octet-stream' : OFFSET_OCTET_STREAM,
      ...(options.method === 'PATCH' && {
        'Tus-Resumable': TUS_RESUMABLE,
        'Upload-Offset': String(options.offset ?? 0),
      }),
      ...(options.contentLength !== undefined && { 'Content-Length': String(options.contentLength) }),
    };
    const response = new Promise<{ status: number; text: string; finishedAt: number }>((resolve, reject) => {
      const req = httpRequest(url, { method: options.method, agent: false, headers });
      req.on('error', reject);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(parts).toString('utf8'),
            finishedAt: performance.now(),
          }),
        );
      });
      void (async () => {
        try {
          for (const [index, chunk] of chunks.entries()) {
            if (index > 0) await sleep(options.intervalMs);
            await options.beforeChunk?.(index);
            if (req.destroyed) return;
            await new Promise<void>((resolveWrite, rejectWrite) => {
              writtenAt[index] = performance.now();
              req.write(chunk, (error) => (error ? rejectWrite(error) : resolveWrite()));
            });
          }
          req.end();
        } catch (error) {
          req.destroy(error as Error);
        }
      })();
    });
    return { writtenAt, response };
  }
}

/**
 * The running stack, checked to route media to Slipstream's media server (not Synapse), and clients of
 * two freshly registered users: what every integration test of the media server starts from.
 */
export async function slipstreamMediaUsers(): Promise<{ stack: StackInfo; alice: MediaClient; bob: MediaClient }> {
  const stack = await ensureStack();
  if (stack.mediaBackend !== 'slipstream') throw new Error(`media goes to ${stack.mediaBackend}, not Slipstream`);
  const [alice, bob] = await Promise.all([registerUser(stack), registerUser(stack)]);
  return { stack, alice: new MediaClient(stack, alice), bob: new MediaClient(stack, bob) };
}
