import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A handler with the Fetch API's shape, as Electron's `protocol.handle` takes it. */
export type FetchHandler = (request: Request) => Promise<Response>;

function requestOf(incoming: IncomingMessage, origin: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  return new Request(new URL(incoming.url ?? '/', origin), {
    method: incoming.method ?? 'GET',
    headers,
    signal,
    ...(hasBody && { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit);
}

/** Answers one Node request with a Fetch-shaped handler, streaming the body; a client that leaves aborts it. */
export async function respondWithFetchHandler(
  handler: FetchHandler,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  origin: string,
): Promise<void> {
  const controller = new AbortController();
  // The client went away (a player seeking elsewhere): stop producing bytes for it.
  outgoing.on('close', () => controller.abort());
  let response: Response;
  try {
    response = await handler(requestOf(incoming, origin, controller.signal));
  } catch (error) {
    outgoing.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    outgoing.end(`${(error as Error).message}\n`);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  outgoing.writeHead(response.status, headers);
  if (response.body === null || incoming.method === 'HEAD') {
    outgoing.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), outgoing);
  } catch {
    // The body failed after its headers: pipeline destroyed the socket, so the client sees a broken
    // transfer rather than a short file presented as complete.
  }
}

/**
 * Serves a Fetch-shaped handler over Node's HTTP server: how the CLI's `serve-media` and the browser
 * host expose the media handler that Electron reaches through `protocol.handle`.
 */
export async function serveFetchHandler(
  handler: FetchHandler,
  options: { host?: string; port?: number } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((incoming, outgoing) => {
    const { port } = server.address() as AddressInfo;
    void respondWithFetchHandler(
      handler,
      incoming,
      outgoing,
      `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Node loads its Fetch classes (undici) at the first Request a process makes: 30–70 ms here
  // (npm run bench:host). Paid now, at start-up, rather than by the first <video> request mid-send.
  void new Request(`http://127.0.0.1:${port}/`);
  void new Response(null);
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
