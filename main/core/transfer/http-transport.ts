import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * The one HTTP client of the media repository client: node:http (and node:https), rather than fetch
 * or undici's npm package. Measured (a Node process making one request, VmRSS after): fetch adds
 * 12–20 MiB, undici's npm package 25 MiB, both together 20–23, node:http 2; a receiving engine loaded
 * both, which put its peak at the 150 MB target. CPU: a bare 1 GiB download cost 0.76–1.05 CPU-s
 * through node:http, 0.75–1.18 through undici's `request`, 1.10–1.62 through fetch. Inside a receive
 * the receiver first cost about one CPU-second per GiB more than with undici's `request`: V8's full
 * collections (about 60 per GiB against 1), which the CLI's V8 options remove (main/core/node-flags.ts,
 * docs/benchmarks.md). What fetch gave for free is here: redirects for downloads (the token kept on
 * its origin), aborts that end a body with the signal's reason.
 */

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A stream's length goes in the headers (Content-Length); strings and bytes get theirs here. */
  readonly body?: HttpRequestBody;
  readonly signal?: AbortSignal | undefined;
  /** Redirects a GET or HEAD follows (none by default); Authorization is dropped off its origin. */
  readonly maxRedirects?: number;
}

/** An answer, returned as soon as its headers arrive; its body is read (or cancelled) after. */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  /** A response header, by case-insensitive name. */
  header(name: string): string | undefined;
  /** The body's chunks, ending with the abort reason if the request's signal aborts. */
  readonly body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Stops the body without reading the rest. */
  cancel(): Promise<void>;
}

/** A string or bytes, or chunks to stream (sync or async). */
export type HttpRequestBody = string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Kept-alive connections per scheme, as fetch keeps them. */
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

export const nodeHttpTransport: HttpTransport = async (request) => {
  let url = new URL(request.url);
  let headers = request.headers;
  const maxRedirects = request.method === 'GET' || request.method === 'HEAD' ? (request.maxRedirects ?? 0) : 0;
  for (let redirects = 0; ; redirects++) {
    const message = await exchange(request, url, headers);
    const location = message.headers.location;
    if (!REDIRECT_STATUSES.has(message.statusCode ?? 0) || location === undefined || maxRedirects === 0) {
      return responseOf(message, request.signal);
    }
    message.destroy();
    if (redirects === maxRedirects) {
      throw new Error(`${request.method} ${request.url} was redirected more than ${maxRedirects} times`);
    }
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    }
    url = next;
  }
};

/** One request and its answer's head; the body stays unread in the message. */
function exchange(request: HttpRequest, url: URL, headers: Readonly<Record<string, string>>): Promise<IncomingMessage> {
  const { signal, body } = request;
  signal?.throwIfAborted();
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') return Promise.reject(new TypeError(`unsupported URL ${url.href}`));
  const fixedBody = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : undefined;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = (isHttps ? httpsRequest : httpRequest)(url, {
      method: request.method,
      headers: { ...headers, ...(fixedBody && { 'Content-Length': String(fixedBody.byteLength) }) },
      agent: isHttps ? agents['https:'] : agents['http:'],
    });
    const onAbort = (): void => void outgoing.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.once('close', () => signal?.removeEventListener('abort', onAbort));
    // A failing body (the file changed, say) destroys the request: report why, not "socket hang up".
    let bodyFailure: { error: unknown } | undefined;
    outgoing.on('error', (error) => reject(bodyFailure ? bodyFailure.error : error));
    outgoing.once('response', (message) => {
      // The body outlives the request's own listeners: an abort now ends the body with its reason.
      if (signal) {
        const onBodyAbort = (): void => void message.destroy(signal.reason as Error);
        signal.addEventListener('abort', onBodyAbort, { once: true });
        message.once('close', () => signal.removeEventListener('abort', onBodyAbort));
      }
      resolve(message);
    });
    if (fixedBody) outgoing.end(fixedBody);
    else if (body === undefined) outgoing.end();
    // A stream body: its failure (or the request's) destroys both; the request's 'error' rejects.
    else {
      const recorded = (async function* () {
        try {
          yield* body;
        } catch (error) {
          bodyFailure = { error };
          throw error;
        }
      })();
      pipeline(Readable.from(recorded, { objectMode: false }), outgoing).catch(() => undefined);
    }
  });
}

function responseOf(message: IncomingMessage, signal: AbortSignal | undefined): HttpResponse {
  // A body destroyed unread (cancel, an abort) emits an error nobody may be listening for.
  message.on('error', () => undefined);
  if (signal?.aborted) message.destroy(signal.reason as Error);
  const status = message.statusCode ?? 0;
  const text = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of message) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    header: (name) => {
      const value = message.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body: { [Symbol.asyncIterator]: () => new BodyChunks(message) },
    text,
    json: async () => JSON.parse(await text()) as unknown,
    // Destroyed with an error, so a reader never takes a cancelled body for a complete one.
    cancel: async () => void message.destroy(new Error('the download was cancelled')),
  };
}

/**
 * A response body's chunks as they arrive ('data' events), up to QUEUE_HIGH of them queued before the
 * socket is paused. Measured reason: iterating the IncomingMessage itself reads it in paused mode,
 * where its 16 KiB high-water mark pauses and resumes the socket around every 64 KiB chunk; a 1 GiB
 * download consumed as a receive consumes it (AES, 1 MiB writes) cost 2.55–3.03 CPU-s that way and
 * 2.19–2.61 this way. Written here rather than with events.on, which cannot see a message that ended
 * or failed before the iteration began, and waits forever on one closed without an end or an error.
 * Leaving the iteration early destroys the message, as the stream's own iterator does, so an unread
 * rest never holds its connection.
 */
class BodyChunks implements AsyncIterator<Uint8Array> {
  private static readonly QUEUE_HIGH = 16;
  private static readonly QUEUE_LOW = 8;
  private readonly queue: Buffer[] = [];
  private paused = false;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly message: IncomingMessage) {
    if (message.readableEnded) this.ended = true;
    else if (message.destroyed) this.failure = message.errored ?? closedEarly();
    else {
      message.on('data', this.onData);
      message.once('end', this.onEnd);
      message.once('error', this.onError);
      message.once('close', this.onClose);
    }
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      // A failure (an abort, a cancel, a cut connection) is reported before anything still queued.
      if (this.failure) throw this.failure;
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.paused && this.queue.length <= BodyChunks.QUEUE_LOW) {
          this.paused = false;
          this.message.resume();
        }
        return { done: false, value: chunk };
      }
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.detach();
    this.message.destroy();
    return { done: true, value: undefined };
  }

  private readonly onData = (chunk: Buffer): void => {
    this.queue.push(chunk);
    if (!this.paused && this.queue.length >= BodyChunks.QUEUE_HIGH) {
      this.paused = true;
      this.message.pause();
    }
    this.notify();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  private readonly onError = (error: Error): void => {
    this.failure ??= error;
    this.notify();
  };

  private readonly onClose = (): void => {
    if (!this.ended) this.failure ??= this.message.errored ?? closedEarly();
    this.detach();
    this.notify();
  };

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private detach(): void {
    this.message.off('data', this.onData);
    this.message.off('end', this.onEnd);
    this.message.off('error', this.onError);
    this.message.off('close', this.onClose);
  }
}

const closedEarly = (): Error => new Error('the connection closed before the response ended');

/** An injected fetch (tests, other runtimes) behind the same interface. */
export function fetchTransport(fetchImpl: typeof fetch): HttpTransport {
  return async (request) => {
    const { body } = request;
    const streamed = body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      ...(body !== undefined && {
        body: streamed ? (Readable.toWeb(Readable.from(body)) as ReadableStream<Uint8Array>) : body,
      }),
      ...(request.signal && { signal: request.signal }),
      // A streamed request body needs half duplex in Node's fetch.
      ...(streamed && { duplex: 'half' }),
    } as RequestInit);
    return {
      status: response.status,
      ok: response.ok,
      header: (name) => response.headers.get(name) ?? undefined,
      body: bodyChunks(response),
      text: () => response.text(),
      json: () => response.json() as Promise<unknown>,
      cancel: async () => void (await response.body?.cancel()),
    };
  };
}

/** A fetch body as chunks, read through its reader; leaving the iteration early cancels the body. */
async function* bodyChunks(response: Response): AsyncGenerator<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
