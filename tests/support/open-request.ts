import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/*
 * Requests written by hand with node:http, for tests that need what fetch cannot do: a body the test
 * sends piece by piece and may stop sending (a stalled upload), an answer that arrives before the body
 * was sent, or a connection from a chosen loopback address (127.0.0.0/8 is all local on Linux), so a
 * test's per-address limits are its own and other tests' clients are not counted with it.
 */

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The Matrix JSON error code, when the body is one. */
  readonly errcode: string | undefined;
  readonly json: Record<string, unknown> | undefined;
}

export interface OpenRequest {
  /** Sends a piece of the body; resolves once it was handed to the socket. */
  write(chunk: Uint8Array): Promise<void>;
  end(chunk?: Uint8Array): void;
  /** Breaks the connection, as a client that goes away does. */
  destroy(): void;
  /** The server's answer, or the reason there is none ("connection reset" and the like). */
  readonly answer: Promise<Answer | { readonly failed: string }>;
}

export interface OpenRequestOptions {
  readonly method: string;
  readonly headers?: Record<string, string>;
  /** The local address to connect from, e.g. 127.0.0.42. */
  readonly localAddress?: string;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a request whose body the test writes (or never finishes); headers go out at once. */
export function openRequest(url: string, options: OpenRequestOptions): OpenRequest {
  const req = httpRequest(url, {
    method: options.method,
    headers: options.headers ?? {},
    agent: false,
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
  });
  req.setNoDelay(true);
  const answer = new Promise<Answer | { failed: string }>((resolve) => {
    req.once('error', (error) => resolve({ failed: error.message }));
    req.once('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.once('error', (error) => resolve({ failed: error.message }));
      res.once('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const json = parseJson(text);
        const errcode = typeof json?.errcode === 'string' ? json.errcode : undefined;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, errcode, json });
      });
    });
  });
  req.flushHeaders();
  return {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => req.write(chunk, (error) => (error ? reject(error) : resolve()))),
    end: (chunk) => void req.end(chunk),
    destroy: () => void req.destroy(),
    answer,
  };
}

/** A whole request with an optional body: its answer, which must come (a broken connection throws). */
export async function exchange(url: string, options: OpenRequestOptions & { body?: Uint8Array }): Promise<Answer> {
  const request = openRequest(url, options);
  request.end(options.body);
  const answer = await request.answer;
  if ('failed' in answer) throw new Error(`${options.method} ${url}: ${answer.failed}`);
  return answer;
}
