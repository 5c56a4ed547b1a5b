import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MatrixHttpError } from './matrix-http-error.js';
import { isTransient } from './retry-policy.js';
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

describe('MediaRepositoryClient over node:http', () => {
  it('streams an authenticated download with timeout_ms and a Range, and exposes its headers', async () => {
    const seen: { url?: string; authorization?: string; range?: string } = {};
    const base = await serve((req, res) => {
      Object.assign(seen, { url: req.url, authorization: req.headers.authorization, range: req.headers.range });
      res.writeHead(206, { 'Content-Range': 'bytes 3-9/10', 'Content-Length': '7' }).end('3456789');
    });
    const client = new MediaRepositoryClient({ homeserverUrl: `${base}/`, accessToken: 'secret' });
    const download = await client.download(media, { timeoutMs: 1500, range: { first: 3 } });
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
    const download = await client.download(media);
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
    const notFound = await client.download(media).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(MatrixHttpError);
    expect(notFound).toMatchObject({ status: 404, errcode: 'M_NOT_FOUND', transient: false });
    expect((notFound as Error).message).toMatch(/downloading mxc:\/\/example.test\/abc failed: .*HTTP 404.*Not found/);
    const limited = await client.download(media).catch((error: unknown) => error);
    expect(limited).toMatchObject({ status: 429, errcode: 'M_LIMIT_EXCEEDED', retryAfterMs: 1234, transient: true });
  });

  it('ends the body with the abort reason when the signal aborts mid-body, and cancel stops a download', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000, 1)); // then nothing more: the reader is left waiting
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const controller = new AbortController();
    const download = await client.download(media, { signal: controller.signal });
    const reason = new Error('no data arrived for 30 s');
    const reading = collect(download.body);
    setTimeout(() => controller.abort(reason), 50);
    await expect(reading).rejects.toBe(reason);

    const another = await client.download(media);
    await another.cancel();
    await expect(collect(another.body)).rejects.toThrow();
  });

  it('cancels a body nobody reads without an uncaught error', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000, 1));
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const unread = await client.download(media);
    await unread.cancel();
    // An 'error' without a listener would surface here, failing the run.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it("holds a slow reader's body back at the socket instead of queueing it in memory", async () => {
    const total = 64 * 1024 * 1024;
    let sent = 0;
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const body = (await client.download(media)).body[Symbol.asyncIterator]();
    await body.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The client's queue (16 chunks) plus both kernels' socket buffers, far from the whole body.
    expect(sent).toBeLessThan(total / 2);
    let received = 0;
    for (let next = await body.next(); !next.done; next = await body.next()) received += next.value.length;
    expect(received + 64 * 1024).toBeGreaterThanOrEqual(total);
    expect(sent).toBe(total);
  });

  it('closes the connection when the reader leaves the body early', async () => {
    let closed: () => void = () => undefined;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000, 1));
      res.on('close', closed);
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    for await (const chunk of (await client.download(media)).body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await connectionClosed;
  });

  it('gives up after 5 redirects with a plain error', async () => {
    let hops = 0;
    const base = await serve((_req, res) => {
      hops += 1;
      res.writeHead(302, { Location: `/hop-${hops}` }).end();
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    await expect(client.download(media)).rejects.toThrow(/redirected more than 5 times/);
    expect(hops).toBe(6);
  });

  it('reports a body cut short as a transient network failure, not as the end of the file', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100000' });
      res.write(Buffer.alloc(1000, 1), () => res.socket?.destroy());
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const failure = await collect((await client.download(media)).body).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isTransient(failure)).toBe(true);
  });

  it('streams a PUT body with its Content-Length, and maps a refusal to a MatrixHttpError', async () => {
    const received: { length?: string | undefined; type?: string | undefined; bytes: number }[] = [];
    const base = await serve((req, res) => {
      const entry = { length: req.headers['content-length'], type: req.headers['content-type'], bytes: 0 };
      received.push(entry);
      req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
      req.on('end', () => {
        if (received.length === 1) res.end('{}');
        else res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"errcode":"M_CANNOT_OVERWRITE_MEDIA"}');
      });
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) yield Buffer.alloc(256 * 1024, i);
    }
    await client.put(media, body(), 1024 * 1024, 'application/octet-stream');
    expect(received[0]).toEqual({ length: String(1024 * 1024), type: 'application/octet-stream', bytes: 1024 * 1024 });
    const refused = await client.put(media, body(), 1024 * 1024, 'application/octet-stream').catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409, errcode: 'M_CANNOT_OVERWRITE_MEDIA' });
  });

  it('a failing request body fails the upload with its own error', async () => {
    const base = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    const client = new MediaRepositoryClient({ homeserverUrl: base, accessToken: 'secret' });
    const changed = new Error('the file changed while it was sent');
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000);
      throw changed;
    }
    await expect(client.put(media, body(), 100_000, 'application/octet-stream')).rejects.toBe(changed);
  });
});
