import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Session } from 'electron';
import { APP_HOST, type RendererOrigin } from './renderer-origin.js';

/*
 * How the renderer's files reach the window: the built files from the app scheme with the CSP on
 * every response, or, in development, Vite's dev server with the development CSP added to its
 * responses.
 */

/**
 * The app scheme's handler: files under `rendererDir` and nothing outside it, each with the CSP and
 * `nosniff`. `readFile` is Electron's `net.fetch` of a file URL, which streams and sets the content type.
 */
export function createRendererHandler(
  rendererDir: string,
  policy: string,
  readFile: (fileUrl: string) => Promise<Response>,
): (request: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  const withPolicy = (body: BodyInit | null, init: { status: number; headers?: Headers }) => {
    const headers = init.headers ?? new Headers({ 'Content-Type': 'text/plain; charset=utf-8' });
    headers.set('Content-Security-Policy', policy);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(body, { status: init.status, headers });
  };
  return async (request) => {
    const url = new URL(request.url);
    let file: string;
    try {
      const relativePath = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
      file = path.resolve(root, `.${relativePath}`);
    } catch {
      return withPolicy('Bad request\n', { status: 400 });
    }
    if (url.host !== APP_HOST || !file.startsWith(root + path.sep)) return withPolicy('Not found\n', { status: 404 });
    let response: Response;
    try {
      response = await readFile(pathToFileURL(file).href);
    } catch {
      // net.fetch rejects for a missing file; the page gets a 404 like any other missing resource.
      return withPolicy('Not found\n', { status: 404 });
    }
    return withPolicy(response.body, { status: response.status, headers: new Headers(response.headers) });
  };
}

/** Development only: Vite serves the page, so its responses get the development CSP on their way in. */
export function applyDevelopmentPolicy(
  session: Pick<Session, 'webRequest'>,
  origin: RendererOrigin,
  policy: string,
): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!origin.isTrusted(details.url)) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
}
