/**
 * Raw HTTP for `bench/server.ts`: one client for every configuration (the media server's PUT and tus
 * PATCH, the baseline nginx's PUT, the readers), so the client's cost is the same in all of them. Bodies
 * are generated from one random 1 MiB chunk and written with backpressure, never held whole in memory;
 * downloads are counted and dropped.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export const sourceChunk = randomBytes(2 ** 20);

export interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the request was issued and when the response had ended. */
  readonly started: number;
  readonly ended: number;
}

export interface RequestOptions {
  readonly method: string;
  readonly url: string;
  readonly headers?: OutgoingHttpHeaders;
  /** A JSON body, or a generated body of this many bytes starting at `bodyOffset` of the stream. */
  readonly json?: unknown;
  readonly bodyBytes?: number;
  readonly bodyOffset?: number;
  readonly agent?: Agent;
}

/** Writes `bytes` of the generated stream (from `offset`) to a request, honouring backpressure. */
async function writeGenerated(req: ReturnType<typeof request>, offset: number, bytes: number): Promise<void> {
  let position = offset;
  const end = offset + bytes;
  while (position < end) {
    const within = position % sourceChunk.length;
    const length = Math.min(sourceChunk.length - within, end - position);
    position += length;
    if (!req.write(sourceChunk.subarray(within, within + length))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          req.off('error', onError);
          resolve();
        };
        const onError = (error: Error): void => {
          req.off('drain', onDrain);
          reject(error);
        };
        req.once('drain', onDrain).once('error', onError);
      });
    }
  }
  req.end();
}

/** One request; resolves when the response has ended (any status), with a short text body. */
export function exchange(options: RequestOptions): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const json = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
    const headers: OutgoingHttpHeaders = { ...options.headers };
    if (json) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = json.length;
    } else if (options.bodyBytes !== undefined) {
      headers['Content-Length'] = options.bodyBytes;
    }
    const started = performance.now();
    const req = request(options.url, { method: options.method, headers, agent: options.agent ?? false }, (res) => {
      const parts: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < 64 * 1024) parts.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString('utf8'),
          started,
          ended: performance.now(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (json) req.end(json);
    else if (options.bodyBytes !== undefined)
      writeGenerated(req, options.bodyOffset ?? 0, options.bodyBytes).catch((error: unknown) =>
        req.destroy(error as Error),
      );
    else req.end();
  });
}

export function expectStatus(what: string, response: Exchange, ...statuses: number[]): Exchange {
  if (!statuses.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 500)}`);
  }
  return response;
}

export interface ReaderResult {
  readonly status: number;
  readonly bytes: number;
  /** Milliseconds from issuing the request to the response headers, to the first body byte, to the end. */
  readonly headersMs: number;
  readonly firstByteMs: number;
  readonly totalMs: number;
  /** Whether every byte matched the generated stream (checked only when asked). */
  readonly verified?: boolean;
}

/**
 * A reader of a download: counts the bytes and drops them. With `verify`, compares every byte with the
 * generated stream (memcmp against the source chunk, cheap enough for one reader of a run).
 */
export function read(url: string, headers: OutgoingHttpHeaders, agent: Agent, verify = false): Promise<ReaderResult> {
  return new Promise<ReaderResult>((resolve, reject) => {
    const started = performance.now();
    let headersAt = Number.NaN;
    let firstByteAt = Number.NaN;
    let bytes = 0;
    let intact = true;
    const req = request(url, { headers, agent }, (res) => {
      headersAt = performance.now();
      res.on('data', (chunk: Buffer) => {
        if (bytes === 0) firstByteAt = performance.now();
        if (verify && intact) {
          for (let at = 0; at < chunk.length;) {
            const within = (bytes + at) % sourceChunk.length;
            const length = Math.min(sourceChunk.length - within, chunk.length - at);
            if (!chunk.subarray(at, at + length).equals(sourceChunk.subarray(within, within + length))) intact = false;
            at += length;
          }
        }
        bytes += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          headersMs: headersAt - started,
          firstByteMs: firstByteAt - started,
          totalMs: performance.now() - started,
          ...(verify && { verified: intact }),
        }),
      );
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`reader aborted after ${bytes} bytes`)));
    });
    req.on('error', reject);
    req.end();
  });
}
