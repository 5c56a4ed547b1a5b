import { randomBytes } from 'node:crypto';
import type { FetchHandler } from '../http/fetch-handler-server.js';
import { serveFetchHandler } from '../http/fetch-handler-server.js';
import { bearerOf, plainRefusal as refusal, sameSecret } from '../http/secrets.js';
import { transferIdOf } from '../transfer/media-url.js';
import type { MediaEndpoint } from './engine-host-contract.js';

/*
 * How decrypted media reaches a `<video>` in Electron without the bytes crossing the renderer's IPC:
 * the engine's utility process serves its media handler on 127.0.0.1 behind a secret made at each
 * start, and main's `slipstream-media:` scheme handler relays each request to it, streaming the body
 * through. Any other program on the machine can connect to the port, so the secret is what keeps them
 * from reading decrypted files; the Host check keeps a web page from reaching it by DNS rebinding.
 */

/** The engine's media handler on a loopback port, answering only requests that carry the secret. */
export async function serveMediaEndpoint(
  mediaHandler: FetchHandler,
): Promise<{ endpoint: MediaEndpoint; close(): Promise<void> }> {
  const secret = randomBytes(32).toString('base64url');
  let expectedHost = '';
  const guarded: FetchHandler = async (request) => {
    if (request.headers.get('host') !== expectedHost)
      return refusal(421, 'this media endpoint answers only on its own address');
    const given = bearerOf(request.headers.get('authorization'));
    if (given === undefined || !sameSecret(given, secret)) {
      return refusal(401, 'this media endpoint needs the secret of the running app');
    }
    return mediaHandler(request);
  };
  const served = await serveFetchHandler(guarded, { host: '127.0.0.1', port: 0 });
  expectedHost = new URL(served.url).host;
  return { endpoint: { url: served.url, secret }, close: () => served.close() };
}

/** Response headers a player needs; everything else from the endpoint stays behind. */
const RELAYED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'cache-control',
  'content-disposition',
  'x-content-type-options',
  'retry-after',
];

/**
 * Main's side: a `(Request) => Promise<Response>` for `protocol.handle('slipstream-media', …)` that
 * relays `slipstream-media://transfer/<id>/<name>` to the engine's endpoint, with the Range header and
 * the secret, and streams the answer back as it arrives. Cancelling the request (a seek) cancels the relay.
 */
export function createMediaRelay(
  endpoint: () => MediaEndpoint | undefined,
  fetchImpl: typeof fetch = fetch,
  /**
   * The renderer's origin: the media scheme is another origin than the page's, and a thumbnail drawn
   * from a video onto a canvas, or a scene fetched whole, needs the answer to allow the page (CORS).
   */
  allowedOrigin?: string,
): FetchHandler {
  return async (request) => {
    const current = endpoint();
    if (!current) return refusal(503, 'the transfer engine is starting; try again in a moment');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return refusal(405, `${request.method} is not supported for media`);
    }
    const url = new URL(request.url);
    const id = transferIdOf(url);
    if (id === undefined) return refusal(404, 'there is no such transfer');
    const name = url.pathname
      .split('/')
      .filter(Boolean)
      .slice(url.hostname === 'transfer' ? 1 : 2)
      .join('/');
    const target = new URL(`/transfer/${encodeURIComponent(id)}${name ? `/${name}` : ''}`, current.url);
    const headers = new Headers({ Authorization: `Bearer ${current.secret}` });
    const range = request.headers.get('range');
    if (range !== null) headers.set('Range', range);
    let response: Response;
    try {
      response = await fetchImpl(target, {
        method: request.method,
        headers,
        signal: request.signal,
        redirect: 'error',
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') return refusal(499, 'the request was cancelled');
      return refusal(502, 'the transfer engine is not answering; it may be restarting');
    }
    const relayed = new Headers();
    for (const name of RELAYED_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) relayed.set(name, value);
    }
    if (allowedOrigin !== undefined) {
      relayed.set('Access-Control-Allow-Origin', allowedOrigin);
      relayed.set('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges');
      relayed.set('Vary', 'Origin');
    }
    return new Response(request.method === 'HEAD' ? null : response.body, {
      status: response.status,
      headers: relayed,
    });
  };
}
