import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { exchange, openRequest } from '../tests/support/open-request.js';
import { auth, TOKENS, useTestServer } from './testing/harness.js';

/*
 * Slow-header and slow-body connections are bounded per client address (docs/PROTOCOL.md §4.4): a
 * connection must deliver its headers within headersTimeout, an address that is not a trusted proxy
 * holds a limited number of connections, and a client address a limited number of bodies arriving at
 * once. No proxy is trusted here, so every loopback address is a client of its own.
 */

const server = useTestServer({
  trustedProxies: [],
  limits: { headersTimeoutMs: 1_000, connectionsPerAddress: 3, bodiesPerAddress: 2 },
});

interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  readonly closed: Promise<string>;
}

async function rawConnection(localAddress: string, send = ''): Promise<RawConnection> {
  const { port } = new URL(server.current().url);
  const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress });
  const closed = new Promise<string>((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    socket.once('close', () => resolve(received));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  if (send) socket.write(send);
  return { socket, closed };
}

const configFrom = (localAddress: string) =>
  exchange(`${server.current().url}/_matrix/client/v1/media/config`, {
    method: 'GET',
    localAddress,
    headers: auth(TOKENS.bob),
  });

describe('slow headers', () => {
  it('a connection that does not finish its headers within headersTimeout is answered 408 and closed', async () => {
    const slow = await rawConnection('127.0.3.1', 'GET /_matrix/client/v1/media/config HTTP/1.1\r\nHost: x\r\n');
    const answer = await slow.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('did not arrive within 1 s');
  });

  it('an address holds at most connectionsPerAddress connections; the next one is refused with 429', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawConnection('127.0.3.2', 'GET / HTTP/1.1\r\n')));
    const refused = await rawConnection('127.0.3.2');
    const answer = await refused.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 429 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED' });
    // Other addresses are not affected, and a place frees up when a connection closes.
    expect((await configFrom('127.0.3.3')).status).toBe(200);
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // The server sees the close a moment after the client does.
    let again = await configFrom('127.0.3.2');
    for (let i = 0; i < 50 && again.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await configFrom('127.0.3.2');
    }
    expect(again.status).toBe(200);
    for (const connection of held) connection.socket.destroy();
  });
});

describe('slow bodies', () => {
  it('a client address has at most bodiesPerAddress bodies arriving at once; the next is refused with 429 before it is read', async () => {
    const upload = (localAddress: string) =>
      openRequest(`${server.current().url}/_matrix/media/v3/upload`, {
        method: 'POST',
        localAddress,
        headers: { ...auth(TOKENS.alice), 'Content-Type': 'application/octet-stream', 'Content-Length': '1000' },
      });
    const trickling = [upload('127.0.3.4'), upload('127.0.3.4')];
    for (const request of trickling) await request.write(Buffer.alloc(10));
    // Both are being received: the server has created their media and holds their writer slots.
    for (let i = 0; i < 200 && server.current().server.context.live.size < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    const third = upload('127.0.3.4');
    const refused = await third.answer;
    expect(refused).toMatchObject({ status: 429, errcode: 'M_LIMIT_EXCEEDED' });
    expect('json' in refused && refused.json?.error).toMatch(/uploads arriving at once/);
    const elsewhere = upload('127.0.3.5');
    elsewhere.end(Buffer.alloc(1000));
    expect(await elsewhere.answer).toMatchObject({ status: 200 });
    // Once a body has arrived, its place is free again.
    trickling[0]!.end(Buffer.alloc(990));
    expect(await trickling[0]!.answer).toMatchObject({ status: 200 });
    const next = upload('127.0.3.4');
    next.end(Buffer.alloc(1000));
    expect(await next.answer).toMatchObject({ status: 200 });
    trickling[1]!.destroy();
  });
});
