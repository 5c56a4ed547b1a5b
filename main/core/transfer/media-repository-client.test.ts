import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { MatrixHttpError } from './matrix-http-error.js';
import { MediaRepositoryClient } from './media-repository-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** A server on 127.0.0.1 answering with `handler`; resolves with its base URL. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const media = { serverName: 'example.test', mediaId: 'abc' };
const DOWNLOAD_PATH = '/_matrix/client/v1/media/download/example.test/abc';

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('MediaRepositoryClient.downloadStream', () => {
  it('streams an authenticated download with timeout_ms and a Range, and exposes its headers', async () => {
    const seen: { url?: string; authorization?: string; range?: string } = {};
    const base = await serve((req, res) => {
      Object.assign(seen, { url: req.url, authorization: req.headers.authorization, range: req.headers.range });
      res.writeHead(206, { 'Content-Range': 'bytes 3-9/10', 'Content-Length': '7' }).end('3456789');
    });
    const client = new MediaRepositoryClient({ homeserverUrl: `${base}/`, accessToken: 'secret' });
    const download = await client.downloadStream(media, { timeoutMs: 1500, range: { first: 3 } });
    expect(download.status).toBe(206);
    expect(download.header('Content-Range')).toBe('bytes 3-9/10');
    expect((await collect(download.body)).toString()).toBe('3456789');
    expect(seen).toEqual({
      url: `${DOWNLOAD_PATH}?timeout_ms=1500`,
      authorization: 'Bearer secret',
      range: 'bytes=3-',
    });
  });

  it('follows redirects, keeping the access token on its own origin only', async () => {
    const authorizationAt: Record<string, string | undefined> = {};
    const elsewhere = await serve((req, res) => {
      authorizationAt['elsewhere'] = req.headers.authorization;
      res.end('from the other origin');
    });
    const home = await serve((req, res) => {
      if (req.url?.startsWith(DOWNLOAD_PATH)) {
        authorizationAt['home'] = req.headers.authorization;
        res.writeHead(307, { Location: '/moved' }).end();
      } else {
        authorizationAt['moved'] = req.headers.authorization;
        res.writeHead(302, { Location: `${elsewhere}/cdn/abc` }).end();
      }
    });
    const client = new MediaRepositoryClient({ homeserverUrl: home, accessToken: 'secret' });
    const download = await client.downloadStream(media);
    expect((await collect(download.body)).toString()).toBe('from the other origin');
    expect(authorizationAt).toEqual({ home: 'Bearer secret', moved: 'Bearer secret', elsewhere: undefined });
  });

  it('turns a refusal into a MatrixHttpError with the errcode and retry_after_ms', async () => {
    let answer = 0;
    const base = await serve((_req, res) => {
      answer += 1;
      if (answer === 1) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'Not found' }));
      } else {
        res.writeHead(429, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errcode: 'M_LIMIT_EXCEEDED', error: 'Slow down', retry_after_ms: 1234 }));
      }
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const notFound = await client.downloadStream(media).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(MatrixHttpError);
    expect(notFound).toMatchObject({ status: 404, errcode: 'M_NOT_FOUND', transient: false });
    expect((notFound as Error).message).toMatch(/downloading mxc:\/\/example.test\/abc failed: .*HTTP 404.*Not found/);
    const limited = await client.downloadStream(media).catch((error: unknown) => error);
    expect(limited).toMatchObject({ status: 429, errcode: 'M_LIMIT_EXCEEDED', retryAfterMs: 1234, transient: true });
  });

  it('ends the body with the abort reason when the signal aborts mid-body, and cancel stops a download', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000, 1)); // then nothing more: the reader is left waiting
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const controller = new AbortController();
    const download = await client.downloadStream(media, { signal: controller.signal });
    const reason = new Error('no data arrived for 30 s');
    const reading = collect(download.body);
    setTimeout(() => controller.abort(reason), 50);
    await expect(reading).rejects.toBe(reason);

    const another = await client.downloadStream(media);
    await another.cancel();
    await expect(collect(another.body)).rejects.toThrow();
  });

  it('cancels a body nobody reads without an uncaught error', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000, 1));
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const unread = await client.downloadStream(media);
    await unread.cancel();
    // An 'error' without a listener would surface here, failing the run.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it("uses its own connections, not the process's global dispatcher (which fetch may own)", async () => {
    // From Node 24 on, the global dispatcher can be Node's own undici 7, which refuses undici 6's options.
    class RefusingDispatcher extends Dispatcher {
      override dispatch(): boolean {
        throw new Error('the global dispatcher was used');
      }
    }
    const base = await serve((_req, res) => res.end('mine'));
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(new RefusingDispatcher());
    try {
      const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
      expect((await collect((await client.downloadStream(media)).body)).toString()).toBe('mine');
    } finally {
      setGlobalDispatcher(previous);
    }
  });
});
