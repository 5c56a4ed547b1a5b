import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  createMedia,
  downloadPath,
  ManualClock,
  observeDownload,
  pattern,
  SERVER_NAME,
  sleep,
  startFakeHomeserver,
  startPut,
  startTestServer,
  TOKENS,
  type FakeHomeserver,
  type TestServer,
} from './testing/harness.js';

let homeserver: FakeHomeserver;
let media: TestServer;
const clock = new ManualClock();

beforeAll(async () => {
  homeserver = await startFakeHomeserver();
  media = await startTestServer(
    homeserver,
    {
      limits: { unusedExpiryMs: 60_000, maxUploadBytes: 10 * 1024 * 1024 },
      durability: { acknowledgeEveryBytes: 4096 },
    },
    clock,
  );
});
afterAll(async () => {
  await media.close();
  await homeserver.close();
});

const writeChunk = (request: { write(chunk: Buffer, cb: (error?: Error | null) => void): boolean }, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => request.write(chunk, (error) => (error ? reject(error) : resolve())));

/** Resolves once the server has registered the reader as waiting (no byte uploaded yet). */
const readerIsWaiting = async (): Promise<void> => {
  for (let i = 0; i < 200 && media.server.context.live.size === 0; i++) await sleep(5);
  await sleep(20);
};

describe('streaming downloads of uploads in progress', () => {
  it('a reader started before the first byte receives it as soon as it is uploaded', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(64 * 1024);
    let firstByteSeen: () => void = () => {};
    const seen = new Promise<void>((resolve) => (firstByteSeen = resolve));
    const reader = observeDownload(
      media.url,
      `${downloadPath(mediaId)}?timeout_ms=10000`,
      auth(TOKENS.bob),
      firstByteSeen,
    );
    await readerIsWaiting();
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': String(body.length) });
    // Measure from the first body byte, not from connection set-up and authentication.
    const key = { serverName: SERVER_NAME, mediaId };
    for (let i = 0; i < 400 && !media.server.context.live.isBeingWritten(key); i++) await sleep(5);
    const sentAt = performance.now();
    await writeChunk(put.request, body.subarray(0, 1024));
    await seen;
    put.request.end(body.subarray(1024));
    const download = await reader;
    console.log(`time to first byte after its upload: ${(download.firstByteAt! - sentAt).toFixed(1)} ms`);
    expect((await put.response).statusCode).toBe(200);
    expect(download.status).toBe(200);
    expect(download.headers['content-length']).toBe(String(body.length));
    expect(download.aborted).toBe(false);
    expect(download.body.equals(body)).toBe(true);
  });

  it('ten concurrent readers each receive the whole upload', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(256 * 1024, 7);
    const readers = Array.from({ length: 10 }, () =>
      observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=10000`),
    );
    await readerIsWaiting();
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': String(body.length) });
    for (let offset = 0; offset < body.length; offset += 16 * 1024) {
      await writeChunk(put.request, body.subarray(offset, offset + 16 * 1024));
    }
    put.request.end();
    expect((await put.response).statusCode).toBe(200);
    for (const download of await Promise.all(readers)) {
      expect(download.aborted).toBe(false);
      expect(download.body.equals(body)).toBe(true);
    }
  });

  it('a fast reader follows a slow chunked PUT and ends only when the upload completes', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(10 * 1000, 3);
    let received = 0;
    const reader = observeDownload(
      media.url,
      `${downloadPath(mediaId)}?timeout_ms=10000`,
      auth(TOKENS.bob),
      () => received++,
    );
    await readerIsWaiting();
    const put = startPut(media.url, mediaId, auth(TOKENS.alice)); // no Content-Length: chunked, length unknown
    for (let offset = 0; offset < body.length; offset += 1000) {
      await writeChunk(put.request, body.subarray(offset, offset + 1000));
      await sleep(20);
    }
    expect(received).toBe(1); // the reader had bytes while the upload was still running
    put.request.end();
    const download = await reader;
    expect(download.headers['transfer-encoding']).toBe('chunked');
    expect(download.aborted).toBe(false);
    expect(download.body.equals(body)).toBe(true);
  });

  it('answers M_NOT_YET_UPLOADED (504) when nothing arrives within timeout_ms', async () => {
    const mediaId = await createMedia(media.url);
    const download = await observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=50`);
    expect(download.status).toBe(504);
    expect(JSON.parse(download.body.toString()).errcode).toBe('M_NOT_YET_UPLOADED');
  });
});

describe('ranges', () => {
  it('serves single ranges with 206 and Content-Range, and 416 past the end', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(100);
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '100' });
    put.request.end(body);
    await put.response;
    const cases: [string, number, string, Buffer][] = [
      ['bytes=10-19', 206, 'bytes 10-19/100', body.subarray(10, 20)],
      ['bytes=-10', 206, 'bytes 90-99/100', body.subarray(90)],
      ['bytes=90-', 206, 'bytes 90-99/100', body.subarray(90)],
      ['bytes=0-1000', 206, 'bytes 0-99/100', body],
      ['bytes=-1000', 206, 'bytes 0-99/100', body],
    ];
    for (const [range, status, contentRange, expected] of cases) {
      const download = await observeDownload(media.url, downloadPath(mediaId), { ...auth(TOKENS.bob), Range: range });
      expect({ range, status: download.status, contentRange: download.headers['content-range'] }).toEqual({
        range,
        status,
        contentRange,
      });
      expect(download.body.equals(expected)).toBe(true);
    }
    for (const range of ['bytes=100-', 'bytes=100-200', 'bytes=-0']) {
      const download = await observeDownload(media.url, downloadPath(mediaId), { ...auth(TOKENS.bob), Range: range });
      expect({ range, status: download.status, contentRange: download.headers['content-range'] }).toEqual({
        range,
        status: 416,
        contentRange: 'bytes */100',
      });
    }
  });

  it('a range beyond the current offset waits for its bytes; 416 against the declared length at once', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(1000, 5);
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '1000' });
    await writeChunk(put.request, body.subarray(0, 100));
    const beyondDeclared = await observeDownload(media.url, downloadPath(mediaId), {
      ...auth(TOKENS.bob),
      Range: 'bytes=1000-',
    });
    expect(beyondDeclared.status).toBe(416);
    expect(beyondDeclared.headers['content-range']).toBe('bytes */1000');
    const tooSoon = await observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=50`, {
      ...auth(TOKENS.bob),
      Range: 'bytes=500-599',
    });
    expect(tooSoon.status).toBe(504);
    const waiting = observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=10000`, {
      ...auth(TOKENS.bob),
      Range: 'bytes=500-599',
    });
    await sleep(50);
    await writeChunk(put.request, body.subarray(100, 700));
    const download = await waiting;
    expect(download.status).toBe(206);
    expect(download.headers['content-range']).toBe('bytes 500-599/1000');
    expect(download.body.equals(body.subarray(500, 600))).toBe(true);
    put.request.end(body.subarray(700));
    expect((await put.response).statusCode).toBe(200);
  });
});

describe('interruption and cancellation', () => {
  it('a broken PUT keeps what arrived; a reader gets that prefix; expiry then aborts the reader', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(1000, 9);
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '1000' });
    put.response.catch(() => {});
    await writeChunk(put.request, body.subarray(0, 300));
    await sleep(50);
    put.request.destroy();
    await sleep(50);
    const prefix = await observeDownload(media.url, downloadPath(mediaId), {
      ...auth(TOKENS.bob),
      Range: 'bytes=0-299',
    });
    expect(prefix.status).toBe(206);
    expect(prefix.body.equals(body.subarray(0, 300))).toBe(true);

    const follower = observeDownload(media.url, downloadPath(mediaId));
    await sleep(50);
    clock.advance(60_001);
    expect(await media.server.sweep()).toBeGreaterThanOrEqual(1);
    const cut = await follower;
    expect(cut.status).toBe(200);
    expect(cut.headers['content-length']).toBe('1000');
    expect(cut.aborted).toBe(true);
    expect(cut.body.equals(body.subarray(0, 300))).toBe(true);
  });

  it('an upload cancelled for exceeding the size limit aborts its readers', async () => {
    const mediaId = await createMedia(media.url);
    const follower = observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=10000`);
    await readerIsWaiting();
    const put = startPut(media.url, mediaId, auth(TOKENS.alice));
    put.response.catch(() => {});
    await writeChunk(put.request, pattern(1000));
    await sleep(50);
    const chunk = pattern(1024 * 1024);
    for (let i = 0; i < 11; i++) {
      const ok = await writeChunk(put.request, chunk).then(
        () => true,
        () => false,
      );
      if (!ok) break;
    }
    const download = await follower;
    expect(download.aborted).toBe(true);
  });
});
