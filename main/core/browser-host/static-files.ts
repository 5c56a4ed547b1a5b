import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Serves the built renderer from `root` and nothing outside it. `/` is index.html. Answers false when
 * there is no such file, so the caller can give its own 404.
 */
export async function serveStaticFile(
  root: string,
  urlPath: string,
  response: ServerResponse,
  headers: Record<string, string>,
  method: string,
): Promise<boolean> {
  let file: string;
  try {
    file = resolve(root, `.${decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath)}`);
  } catch {
    return false;
  }
  if (!file.startsWith(root + sep)) return false;
  const stats = await stat(file).catch(() => undefined);
  if (!stats?.isFile()) return false;
  response.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(stats.size),
  });
  if (method === 'HEAD') {
    response.end();
    return true;
  }
  await pipeline(createReadStream(file), response).catch(() => undefined);
  return true;
}
