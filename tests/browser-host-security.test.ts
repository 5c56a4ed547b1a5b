import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium, recordPageErrors } from './support/browser.js';
import { type HostProcess, connectToHost, sessionCookieFor, startHostProcess } from './support/browser-host.js';

/*
 * The browser host listens on 127.0.0.1, which every local program and every web page can reach. These
 * tests knock on it the ways they could: no key, a wrong key, a stolen-looking cookie, another page's
 * Origin, a rebound DNS name, a WebSocket from elsewhere — and check each is refused while the page
 * opened through the printed address works.
 */

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request with exactly these headers (fetch would refuse to set Host, and adds its own). */
function raw(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method, headers }, (incoming) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Tries to open the contract's WebSocket; resolves with the HTTP status of a refusal, or 101 if it opened. */
function tryWebSocket(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ipc`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => resolve(0));
  });
}

describe('the browser host refuses everyone but the page opened through its printed address', () => {
  let scratch: string;
  let host: HostProcess;
  let cookie: string;
  let self: Record<string, string>;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'slipstream-host-security-'));
    await mkdir(join(scratch, 'home'));
    host = await startHostProcess({ dataDir: join(scratch, 'data'), home: join(scratch, 'home') });
    cookie = await sessionCookieFor(host.url);
    self = { Host: `127.0.0.1:${host.port}`, Cookie: cookie };
  }, 180_000);

  afterAll(async () => {
    await host?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('trades its launch key for an HttpOnly, SameSite=Strict cookie and sends the page to /', async () => {
    const answer = await raw(host.port, new URL(host.url).pathname + new URL(host.url).search, { Host: self.Host! });
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const setCookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(new RegExp(`^slipstream-host-${host.port}=[A-Za-z0-9_-]{43}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
  });

  it('refuses a request with no key, and tells a person where the key is', async () => {
    const page = await raw(host.port, '/', { Host: self.Host!, Accept: 'text/html' });
    expect(page.status).toBe(401);
    expect(page.body).toContain('/open?key=');
    expect((await raw(host.port, '/index.html', { Host: self.Host! })).status).toBe(401);
  });

  it('refuses a wrong key, and gives no cookie for it', async () => {
    const answer = await raw(host.port, '/open?key=not-the-key-of-this-launch-at-all-123456', { Host: self.Host! });
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a cookie this launch did not give', async () => {
    const forged = `slipstream-host-${host.port}=${'A'.repeat(43)}`;
    expect((await raw(host.port, '/', { Host: self.Host!, Cookie: forged })).status).toBe(401);
  });

  it('serves the page with its cookie, under a Content-Security-Policy that allows only its own code, WebAssembly and homeservers', async () => {
    const answer = await raw(host.port, '/', self);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/html');
    const policy = String(answer.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toContain("'unsafe-inline'");
    expect(policy).toContain(
      `connect-src 'self' ws://127.0.0.1:${host.port} ws://localhost:${host.port} https: http://127.0.0.1:*`,
    );
    expect(policy).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('refuses another Host, as a DNS-rebound name would send, even with a valid cookie', async () => {
    const answer = await raw(host.port, '/', { ...self, Host: `attacker.example:${host.port}` });
    expect(answer.status).toBe(421);
    expect((await raw(host.port, '/', { ...self, Host: '127.0.0.1:1' })).status).toBe(421);
  });

  it('refuses requests from another origin, including another port of this machine, even with the cookie', async () => {
    for (const origin of ['http://127.0.0.1:9', 'http://attacker.example', 'null']) {
      const answer = await raw(host.port, '/', { ...self, Origin: origin });
      expect(answer.status, origin).toBe(403);
    }
    for (const site of ['same-site', 'cross-site']) {
      expect((await raw(host.port, '/', { ...self, 'Sec-Fetch-Site': site })).status, site).toBe(403);
    }
    const dropped = await raw(host.port, '/spool?name=x.bin', { ...self, Origin: 'http://127.0.0.1:9' }, 'PUT');
    expect(dropped.status).toBe(403);
    expect((await raw(host.port, '/', { ...self, Origin: host.origin, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(
      200,
    );
  });

  it('refuses media, dropped files and hand-offs without the cookie or the launch key', async () => {
    expect((await raw(host.port, '/media/transfer/Qb3k2m9x1LpZ/film.mp4', { Host: self.Host! })).status).toBe(401);
    expect((await raw(host.port, '/spool?name=x.bin', { Host: self.Host! }, 'PUT')).status).toBe(401);
    expect((await raw(host.port, '/handoff', { ...self }, 'POST')).status).toBe(401);
    expect((await raw(host.port, '/handoff', { Host: self.Host!, Authorization: 'Bearer wrong' }, 'HEAD')).status).toBe(
      401,
    );
  });

  it('opens the contract WebSocket only for its own page: cookie and Origin both required', async () => {
    const origin = host.origin;
    expect(await tryWebSocket(host.port, { Origin: origin })).toBe(401);
    expect(await tryWebSocket(host.port, { Cookie: cookie })).toBe(403);
    expect(await tryWebSocket(host.port, { Cookie: cookie, Origin: 'http://127.0.0.1:9' })).toBe(403);
    expect(await tryWebSocket(host.port, { Cookie: cookie, Origin: 'http://attacker.example' })).toBe(403);
    expect(await tryWebSocket(host.port, { Cookie: cookie, Origin: origin })).toBe(101);
    const api = await connectToHost(host.url);
    expect((await api.appInfo()).host).toBe('browser');
    api.disconnect();
  });

  it('ends a connection that sends a message past the size limit, and keeps serving everyone else', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ipc`, {
      headers: { Cookie: cookie, Origin: host.origin },
    });
    await once(socket, 'open');
    const closed = once(socket, 'close');
    socket.send('x'.repeat(2 * 1024 * 1024));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
    const api = await connectToHost(host.url);
    expect((await api.appInfo()).host).toBe('browser');
    api.disconnect();
  });

  describe('in Chromium', () => {
    let browser: Browser;
    let attackerPage: Server;

    beforeAll(async () => {
      browser = await launchChromium();
      // A page of another local program, on another port of 127.0.0.1: the same "site" for cookies.
      attackerPage = createServer((_incoming, outgoing) => {
        outgoing.writeHead(200, { 'Content-Type': 'text/html' });
        outgoing.end(`<!doctype html><title>elsewhere</title><body><script>
          const target = new URL(location.hash.slice(1));
          const results = {};
          const socket = new WebSocket('ws://' + target.host + '/ipc');
          socket.onopen = () => { results.socket = 'open'; done(); };
          socket.onerror = () => { results.socket = 'refused'; done(); };
          fetch(target.origin + '/', { credentials: 'include', mode: 'no-cors' })
            .then((r) => { results.fetch = 'answered'; done(); }, () => { results.fetch = 'failed'; done(); });
          function done() { if (results.socket && results.fetch) document.title = JSON.stringify(results); }
        </script>`);
      });
      attackerPage.listen(0, '127.0.0.1');
      await once(attackerPage, 'listening');
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      attackerPage?.close();
    });

    it('loads the app through the printed address, and only then', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = recordPageErrors(page);
      await page.goto(host.origin);
      await expect.poll(() => page.getByRole('heading', { name: 'Slipstream needs its key' }).count()).toBe(1);
      await page.goto(host.url);
      expect(new URL(page.url()).pathname).toBe('/');
      expect(page.url()).not.toContain('key=');
      await page.getByRole('heading', { level: 1, name: 'Slipstream' }).waitFor({ state: 'visible', timeout: 30_000 });
      expect(errors.filter((error) => !error.includes('401'))).toEqual([]);
      await context.close();
    });

    it("keeps another local page from using the host through the browser's cookie", async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(host.url);
      const attackerPort = (attackerPage.address() as AddressInfo).port;
      await page.goto(`http://127.0.0.1:${attackerPort}/#${host.origin}`);
      await expect.poll(() => page.title(), { timeout: 15_000 }).toContain('socket');
      const results = JSON.parse(await page.title()) as { socket: string; fetch: string };
      expect(results.socket).toBe('refused');
      await context.close();
    });
  });
});
