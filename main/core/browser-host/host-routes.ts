import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { absolutePathSchema } from '../../../shared/app/identifiers.js';
import { failureOf, IpcError } from '../../../shared/ipc/ipc-error.js';
import { existingFiles } from '../app/opened-files.js';
import type { Spool } from '../app/spool.js';
import { type FetchHandler, respondWithFetchHandler } from '../http/fetch-handler-server.js';
import type { RequestGuard } from './request-guard.js';
import { serveStaticFile } from './static-files.js';

/*
 * The browser host's HTTP routes, one function each, behind the checks of request-guard.ts:
 *   GET  /open?key=…           the printed address: the launch key traded for the session cookie
 *   HEAD/POST /handoff         a second `slipstream app` hands its files over (launch key as Bearer)
 *   GET/HEAD /media/transfer/… decrypted media, with Range
 *   PUT  /spool?name=…         a dropped file's bytes
 *   GET  /, /assets/…          the built renderer
 */

export const MEDIA_PREFIX = '/media';

/** Headers on every answer: no sniffing, no framing, no reading by other origins, nothing kept. */
export const BASE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const handoffSchema = z.strictObject({ paths: z.array(absolutePathSchema).min(1).max(1000) });

export interface HostRoutes {
  readonly guard: RequestGuard;
  readonly origin: string;
  readonly rendererDir: string;
  /** The renderer's Content-Security-Policy. */
  readonly policy: string;
  /** Present once the app's backend is open; until then requests are answered 503. */
  ready(): { readonly media: FetchHandler; readonly spool: Spool } | undefined;
  /** Files a second launch handed over. */
  offerOpenedFiles(paths: string[]): void;
}

export function answer(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  response.end(`${body}\n`);
}

function answerJson(response: ServerResponse, status: number, value: unknown): void {
  answer(response, status, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** A short page for a person who opened the host's address without its key. */
function keyNeededPage(reason: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Slipstream</title>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Slipstream needs its key</h1><p>${reason}</p>
<p>Open the address that <code>slipstream app</code> printed when it started: it ends with <code>/open?key=…</code>.
Running <code>slipstream app</code> again prints it too.</p></body>`;
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of request as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > limit) throw new IpcError('INVALID_REQUEST', 'the request body is too large');
  }
  return text;
}

const guarded = (request: IncomingMessage, path: string) => ({
  method: request.method ?? 'GET',
  path,
  headers: request.headers,
});

function openSession(routes: HostRoutes, url: URL, response: ServerResponse): void {
  if (!routes.guard.acceptsLaunchKey(url.searchParams.get('key'))) {
    return answer(
      response,
      403,
      keyNeededPage('This key is not the running app’s: it may be from an earlier launch.'),
      {
        'Content-Type': 'text/html; charset=utf-8',
      },
    );
  }
  response.writeHead(303, {
    ...BASE_HEADERS,
    'Set-Cookie': routes.guard.openSession(randomBytes(32).toString('base64url')),
    Location: '/',
  });
  response.end();
}

async function handOff(routes: HostRoutes, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!routes.guard.hasLaunchKey(guarded(request, '/handoff'))) {
    return answer(response, 401, 'the launch key is needed to hand files over');
  }
  // A host still starting is running: the second launch must not start another on the same data.
  if (!routes.ready())
    return answer(response, 503, 'Slipstream is starting; try again in a moment', { 'Retry-After': '1' });
  if (request.method === 'HEAD') return answer(response, 200, '');
  if (request.method !== 'POST')
    return answer(response, 405, `${request.method} is not supported here`, { Allow: 'HEAD, POST' });
  try {
    const { paths } = handoffSchema.parse(JSON.parse(await readBody(request, 1_000_000)));
    const files = await existingFiles(paths);
    if (files.length === 0) return answer(response, 400, 'none of those paths is a file');
    routes.offerOpenedFiles(files);
    return answer(response, 200, `${files.length} file(s) handed over`);
  } catch (error) {
    return answer(response, 400, `the hand-off is not valid: ${failureOf(error).message}`);
  }
}

async function takeDroppedFile(
  spool: Spool,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method !== 'PUT')
    return answer(response, 405, `${request.method} is not supported here`, { Allow: 'PUT' });
  const name = url.searchParams.get('name');
  if (!name) return answerJson(response, 400, { code: 'INVALID_REQUEST', message: 'the dropped file has no name' });
  const length = request.headers['content-length'];
  try {
    const spooled = await spool.receive(name, length === undefined ? undefined : Number(length), request);
    return answerJson(response, 201, { spoolId: spooled.spoolId, size: spooled.size });
  } catch (error) {
    const failure = failureOf(error);
    return answerJson(response, failure.code === 'DISK_FULL' ? 507 : 400, failure);
  }
}

function serveMedia(
  media: FetchHandler,
  routes: HostRoutes,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
) {
  request.url = url.pathname.slice(MEDIA_PREFIX.length) + url.search;
  const withHeaders: FetchHandler = async (fetchRequest) => {
    const answered = await media(fetchRequest);
    const headers = new Headers(answered.headers);
    for (const [name, value] of Object.entries(BASE_HEADERS)) if (!headers.has(name)) headers.set(name, value);
    return new Response(answered.body, { status: answered.status, headers });
  };
  return respondWithFetchHandler(withHeaders, request, response, routes.origin);
}

/** Answers one request of the browser host. */
export async function routeRequest(
  routes: HostRoutes,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', routes.origin);
  const method = request.method ?? 'GET';
  const verdict = routes.guard.checkOrigin(guarded(request, url.pathname));
  if (!verdict.allowed) return answer(response, verdict.status, verdict.reason);
  if (url.pathname === '/open' && (method === 'GET' || method === 'HEAD')) return openSession(routes, url, response);
  if (url.pathname === '/handoff') return handOff(routes, request, response);

  if (!routes.guard.hasSession(guarded(request, url.pathname))) {
    const wantsPage = (request.headers['accept'] ?? '').includes('text/html');
    return wantsPage
      ? answer(response, 401, keyNeededPage('This browser has not been given the key of the running app.'), {
          'Content-Type': 'text/html; charset=utf-8',
        })
      : answer(response, 401, 'this browser has not been given the key of the running Slipstream');
  }
  const ready = routes.ready();
  if (url.pathname.startsWith(`${MEDIA_PREFIX}/`) || url.pathname === '/spool') {
    if (!ready) return answer(response, 503, 'Slipstream is starting; try again in a moment', { 'Retry-After': '1' });
    return url.pathname === '/spool'
      ? takeDroppedFile(ready.spool, url, request, response)
      : serveMedia(ready.media, routes, url, request, response);
  }
  if (method !== 'GET' && method !== 'HEAD') return answer(response, 405, `${method} is not supported here`);
  const served = await serveStaticFile(
    routes.rendererDir,
    url.pathname,
    response,
    { ...BASE_HEADERS, 'Content-Security-Policy': routes.policy },
    method,
  );
  if (!served) answer(response, 404, 'not found');
}
