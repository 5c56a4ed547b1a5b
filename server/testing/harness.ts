import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../clock.js';
import { parseConfig, type MediaServerConfigInput } from '../config.js';
import type { Logger } from '../media-context.js';
import { startMediaServer, type RunningMediaServer } from '../media-server.js';

/*
 * Test harness: the real media server in-process on port 0, against a tiny local stand-in for the
 * homeserver that answers whoami for known tokens and serves one piece of "pre-existing" media, so
 * pass-through can be checked. (These tests move to the real Synapse stack once it exists.)
 */

export const SERVER_NAME = 'slipstream.test';
export const USERS = { alice: '@alice:slipstream.test', bob: '@bob:slipstream.test' } as const;
export const TOKENS = { alice: 'alice-token', bob: 'bob-token' } as const;
export const UPSTREAM_MEDIA_PATH = '/_matrix/media/v3/download/elsewhere.test/upstreamMedia';
export const UPSTREAM_MEDIA_BODY = 'bytes from the homeserver media repository';

export interface FakeHomeserver {
  url: string;
  whoamiCalls: number;
  close(): Promise<void>;
}

export async function startFakeHomeserver(): Promise<FakeHomeserver> {
  const byToken = new Map<string, string>([
    [TOKENS.alice, USERS.alice],
    [TOKENS.bob, USERS.bob],
  ]);
  const state = { whoamiCalls: 0 };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/_matrix/client/v3/account/whoami') {
      state.whoamiCalls += 1;
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const userId = token === undefined ? undefined : byToken.get(token);
      res.writeHead(userId ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(userId ? { user_id: userId } : { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown token' }));
      return;
    }
    if (path === UPSTREAM_MEDIA_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(UPSTREAM_MEDIA_BODY);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'Not found upstream' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get whoamiCalls() {
      return state.whoamiCalls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export class ManualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const quietLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface TestServer {
  server: RunningMediaServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestServer(
  homeserver: FakeHomeserver,
  overrides: Partial<MediaServerConfigInput> = {},
  clock?: Clock,
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'slipstream-media-'));
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    serverName: SERVER_NAME,
    homeserverUrl: homeserver.url,
    dataDir,
    ...overrides,
  });
  const server = await startMediaServer(config, { logger: quietLogger, ...(clock && { clock }) });
  return {
    server,
    url: server.url,
    dataDir,
    async close() {
      await server.close(100);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test server with a fake homeserver for the whole test file, started before its tests and stopped
 * after them (vitest hooks). Read `current()` (and `homeserver()`) inside tests.
 */
export function useTestServer(overrides: Partial<MediaServerConfigInput> = {}): {
  current(): TestServer;
  homeserver(): FakeHomeserver;
} {
  let homeserver: FakeHomeserver | undefined;
  let media: TestServer | undefined;
  beforeAll(async () => {
    homeserver = await startFakeHomeserver();
    media = await startTestServer(homeserver, overrides);
  });
  afterAll(async () => {
    await media?.close();
    await homeserver?.close();
  });
  return {
    current() {
      if (!media) throw new Error('the test server is started in beforeAll');
      return media;
    },
    homeserver() {
      if (!homeserver) throw new Error('the fake homeserver is started in beforeAll');
      return homeserver;
    },
  };
}

export const auth = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** `/create` as alice (or the given token); returns the media ID. */
export async function createMedia(url: string, token: string = TOKENS.alice): Promise<string> {
  const response = await fetch(`${url}/_matrix/media/v1/create`, { method: 'POST', headers: auth(token), body: '{}' });
  if (response.status !== 200) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  const { content_uri } = (await response.json()) as { content_uri: string };
  return content_uri.split('/').pop()!;
}

export const downloadPath = (mediaId: string): string => `/_matrix/client/v1/media/download/${SERVER_NAME}/${mediaId}`;
export const uploadPath = (mediaId: string): string => `/_matrix/media/v3/upload/${SERVER_NAME}/${mediaId}`;

/** A PUT whose body the test writes piece by piece; `response` settles when the server answers. */
export function startPut(
  url: string,
  mediaId: string,
  headers: Record<string, string>,
): { request: ClientRequest; response: Promise<IncomingMessage & { text: string }> } {
  const request = httpRequest(`${url}${uploadPath(mediaId)}`, { method: 'PUT', headers });
  // As browsers do: without it, Nagle holds a small first chunk back until the headers are ACKed.
  request.setNoDelay(true);
  const response = new Promise<IncomingMessage & { text: string }>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve(Object.assign(res, { text })));
      res.once('error', reject);
    });
  });
  request.flushHeaders();
  return { request, response };
}

/** A GET read with node:http so the test sees exactly when bytes arrive and whether the response was aborted. */
export interface ObservedDownload {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** true if the connection broke before the response ended cleanly */
  aborted: boolean;
  firstByteAt: number | null;
}

export function observeDownload(
  url: string,
  path: string,
  headers: Record<string, string> = auth(TOKENS.bob),
  onFirstByte?: () => void,
): Promise<ObservedDownload> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { headers, agent: false });
    request.once('error', reject);
    request.once('response', (res) => {
      const chunks: Buffer[] = [];
      let firstByteAt: number | null = null;
      const finish = (aborted: boolean): void =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          aborted,
          firstByteAt,
        });
      res.on('data', (chunk: Buffer) => {
        if (firstByteAt === null) {
          firstByteAt = performance.now();
          onFirstByte?.();
        }
        chunks.push(chunk);
      });
      res.once('end', () => finish(false));
      res.once('aborted', () => finish(true));
      res.once('error', () => finish(true));
    });
    request.end();
  });
}

export const pattern = (length: number, seed = 0): Buffer => {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 31 + seed) & 0xff;
  return buffer;
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
