import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  createMedia,
  downloadPath,
  ManualClock,
  SERVER_NAME,
  sleep,
  startPut,
  startFakeHomeserver,
  startTestServer,
  TOKENS,
  UPSTREAM_MEDIA_BODY,
  UPSTREAM_MEDIA_PATH,
  uploadPath,
  type FakeHomeserver,
  type TestServer,
} from './testing/harness.js';
import { TUS_PATH_PREFIX } from './tus/tus-handler.js';

let homeserver: FakeHomeserver;
let media: TestServer;
const clock = new ManualClock();

beforeAll(async () => {
  homeserver = await startFakeHomeserver();
  media = await startTestServer(
    homeserver,
    {
      limits: {
        pendingUploadsPerUser: 3,
        createBurst: 5,
        createPerSecond: 1,
        maxUploadBytes: 1000,
        unusedExpiryMs: 60_000,
      },
    },
    clock,
  );
});
afterAll(async () => {
  await media.close();
  await homeserver.close();
});

const put = (mediaId: string, body: string | Uint8Array, token: string = TOKENS.alice, headers = {}) =>
  fetch(`${media.url}${uploadPath(mediaId)}`, { method: 'PUT', headers: { ...auth(token), ...headers }, body });

async function expectMatrixError(
  response: Response,
  status: number,
  errcode: string,
): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, errcode: body.errcode }).toEqual({ status, errcode });
  expect(typeof body.error).toBe('string');
  return body;
}

describe('create (MSC2246)', () => {
  it('returns an mxc:// URI on our server name and unused_expires_at from the clock', async () => {
    const response = await fetch(`${media.url}/_matrix/media/unstable/fi.mau.msc2246/create`, {
      method: 'POST',
      headers: auth(TOKENS.bob),
      body: '{}',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { content_uri: string; unused_expires_at: number };
    expect(body.content_uri).toMatch(new RegExp(`^mxc://${SERVER_NAME}/[A-Za-z0-9_-]{24}$`));
    expect(body.unused_expires_at).toBe(clock.now() + 60_000);
  });

  it('limits pending uploads per user with M_LIMIT_EXCEEDED and retry_after_ms, and frees a slot on completion', async () => {
    const ids = [await createMedia(media.url, TOKENS.alice), await createMedia(media.url, TOKENS.alice)];
    ids.push(await createMedia(media.url, TOKENS.alice));
    const refused = await fetch(`${media.url}/_matrix/media/v1/create`, {
      method: 'POST',
      headers: auth(TOKENS.alice),
    });
    const body = await expectMatrixError(refused, 429, 'M_LIMIT_EXCEEDED');
    expect(body.retry_after_ms).toBeGreaterThan(0);
    expect((await put(ids[0]!, 'done')).status).toBe(200);
    expect(await createMedia(media.url, TOKENS.alice)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('rate-limits creation per user, and lets the user go on once the bucket refills', async () => {
    clock.advance(3_600_000); // every earlier pending ID has expired, and the bucket is full
    const tokens = 'bob-token';
    let refused: Response | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const response = await fetch(`${media.url}/_matrix/media/v1/create`, { method: 'POST', headers: auth(tokens) });
      if (response.status !== 200) refused = response;
    }
    expect(refused).toBeDefined();
    const body = await expectMatrixError(refused!, 429, 'M_LIMIT_EXCEEDED');
    expect(body.retry_after_ms).toBeGreaterThan(0);
    clock.advance(60_000);
  });

  it('expires unused IDs: the sweeper removes partial data and the ID answers 404', async () => {
    clock.advance(3_600_000);
    const mediaId = await createMedia(media.url);
    clock.advance(60_001);
    expect(await media.server.sweep()).toBeGreaterThanOrEqual(1);
    await expectMatrixError(
      await fetch(`${media.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) }),
      404,
      'M_NOT_FOUND',
    );
    await expectMatrixError(await put(mediaId, 'late'), 404, 'M_NOT_FOUND');
  });

  /*
   * MSC2246: unused_expires_at is "the maximum POSIX millisecond timestamp to complete the upload", and
   * the server may delete IDs "when the upload was interrupted and not resumed in time". So starting an
   * upload does not stop the clock; only completing it does. An upload still being written when the
   * time comes may continue (the MSC lets the server choose), and its completion is kept.
   */
  it('an upload started but interrupted and not resumed by unused_expires_at expires with its partial data', async () => {
    clock.advance(3_600_000);
    const mediaId = await createMedia(media.url);
    const broken = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '500' });
    broken.response.catch(() => {});
    broken.request.write(Buffer.alloc(200, 1));
    await waitForOffset(mediaId, 200);
    broken.request.destroy();
    clock.advance(60_001);
    const head = () =>
      fetch(`${media.url}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`, {
        method: 'HEAD',
        headers: { ...auth(TOKENS.alice), 'Tus-Resumable': '1.0.0' },
      });
    // The server notices the broken connection asynchronously; until then the upload is still being written.
    for (let attempt = 0; attempt < 100 && (await head()).status !== 404; attempt++) {
      await media.server.sweep();
      await sleep(20);
    }
    expect((await head()).status).toBe(404);
    await expectMatrixError(
      await fetch(`${media.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) }),
      404,
      'M_NOT_FOUND',
    );
  });

  it('an upload being written when unused_expires_at passes is allowed to complete, and is then kept', async () => {
    clock.advance(3_600_000);
    const mediaId = await createMedia(media.url);
    const upload = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '300' });
    upload.request.write(Buffer.alloc(100, 2));
    await waitForOffset(mediaId, 100);
    clock.advance(60_001);
    expect(await media.server.sweep()).toBe(0);
    upload.request.end(Buffer.alloc(200, 3));
    expect((await upload.response).statusCode).toBe(200);
    clock.advance(60_001);
    expect(await media.server.sweep()).toBe(0);
    const download = await fetch(`${media.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) });
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(300);
  });
});

/** Waits until a reader can see `bytes` stored (the upload's writes are asynchronous). */
async function waitForOffset(mediaId: string, bytes: number): Promise<void> {
  const response = await fetch(`${media.url}${downloadPath(mediaId)}?timeout_ms=5000`, {
    headers: { ...auth(TOKENS.bob), Range: `bytes=${bytes - 1}-${bytes - 1}` },
  });
  expect(response.status).toBe(206);
  await response.arrayBuffer();
}

describe('auth', () => {
  it('answers M_MISSING_TOKEN without a token and M_UNKNOWN_TOKEN for a bad one', async () => {
    await expectMatrixError(
      await fetch(`${media.url}/_matrix/media/v1/create`, { method: 'POST' }),
      401,
      'M_MISSING_TOKEN',
    );
    await expectMatrixError(
      await fetch(`${media.url}/_matrix/media/v1/create`, { method: 'POST', headers: auth('nobody') }),
      401,
      'M_UNKNOWN_TOKEN',
    );
  });

  it('accepts ?access_token= only on the legacy /_matrix/media/v3 paths', async () => {
    expect((await fetch(`${media.url}/_matrix/media/v3/config?access_token=${TOKENS.bob}`)).status).toBe(200);
    await expectMatrixError(
      await fetch(`${media.url}/_matrix/client/v1/media/config?access_token=${TOKENS.bob}`),
      401,
      'M_MISSING_TOKEN',
    );
  });

  it('caches whoami answers', async () => {
    const before = homeserver.whoamiCalls;
    for (let i = 0; i < 3; i++)
      await fetch(`${media.url}/_matrix/client/v1/media/config`, { headers: auth(TOKENS.bob) });
    expect(homeserver.whoamiCalls - before).toBeLessThanOrEqual(1);
  });
});

describe('PUT upload', () => {
  it('only the creator may upload; a completed media cannot be overwritten; unknown IDs are 404', async () => {
    clock.advance(3_600_000);
    const mediaId = await createMedia(media.url);
    await expectMatrixError(await put(mediaId, 'not mine', TOKENS.bob), 403, 'M_FORBIDDEN');
    expect((await put(mediaId, 'hello', TOKENS.alice, { 'Content-Type': 'text/plain' })).status).toBe(200);
    await expectMatrixError(await put(mediaId, 'again'), 409, 'M_CANNOT_OVERWRITE_MEDIA');
    await expectMatrixError(await put('neverCreated123', 'x'), 404, 'M_NOT_FOUND');
    const download = await fetch(`${media.url}${downloadPath(mediaId)}/greeting.txt`, { headers: auth(TOKENS.bob) });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/plain');
    expect(download.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''greeting.txt");
    expect(download.headers.get('access-control-allow-origin')).toBe('*');
    expect(await download.text()).toBe('hello');
  });

  it('refuses a declared Content-Length over the limit up front with M_TOO_LARGE', async () => {
    const mediaId = await createMedia(media.url);
    await expectMatrixError(await put(mediaId, new Uint8Array(1001)), 413, 'M_TOO_LARGE');
  });

  it('counts a chunked body while it streams and refuses it past the limit', async () => {
    const mediaId = await createMedia(media.url);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(400));
        controller.close();
      },
    });
    const response = await fetch(`${media.url}${uploadPath(mediaId)}`, {
      method: 'PUT',
      headers: auth(TOKENS.alice),
      body,
      duplex: 'half',
    } as RequestInit);
    await expectMatrixError(response, 413, 'M_TOO_LARGE');
    // An upload that can never complete is cancelled: its ID answers 404 from now on.
    await expectMatrixError(
      await fetch(`${media.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) }),
      404,
      'M_NOT_FOUND',
    );
  });
});

describe('one-shot upload and config', () => {
  it('POST /upload returns a content_uri whose bytes download', async () => {
    const response = await fetch(`${media.url}/_matrix/media/v3/upload?filename=a.bin`, {
      method: 'POST',
      headers: { ...auth(TOKENS.bob), 'Content-Type': 'application/octet-stream' },
      body: 'one shot',
    });
    expect(response.status).toBe(200);
    const { content_uri } = (await response.json()) as { content_uri: string };
    const mediaId = content_uri.split('/').pop()!;
    const download = await fetch(`${media.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.alice) });
    expect(await download.text()).toBe('one shot');
    expect(download.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''a.bin");
  });

  it('config advertises the upload size and the MSC4016 streaming fields', async () => {
    const response = await fetch(`${media.url}/_matrix/client/v1/media/config`, { headers: auth(TOKENS.bob) });
    expect(await response.json()).toMatchObject({
      'm.upload.size': 1000,
      'org.matrix.msc4016': { streaming_downloads: true, streaming_put: true, range: true },
    });
  });
});

describe('pass-through and malformed input', () => {
  it("passes other servers' media and unknown local IDs through to the homeserver", async () => {
    const upstream = await fetch(`${media.url}${UPSTREAM_MEDIA_PATH}`);
    expect(await upstream.text()).toBe(UPSTREAM_MEDIA_BODY);
    const unknown = await fetch(`${media.url}/_matrix/media/v3/download/${SERVER_NAME}/beforeDeployment`);
    await expectMatrixError(unknown, 404, 'M_NOT_FOUND');
    const thumbnail = await fetch(`${media.url}/_matrix/media/v3/thumbnail/elsewhere.test/x?width=32&height=32`);
    expect(thumbnail.status).toBe(404);
  });

  it('answers CORS preflights for the tus and Range headers', async () => {
    const response = await fetch(`${media.url}${uploadPath('anything')}`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toContain('Upload-Offset');
    expect(response.headers.get('access-control-expose-headers')).toContain('Content-Range');
  });

  it('rejects bad timeout_ms, bad ranges and malformed media IDs with clear errors', async () => {
    const mediaId = await createMedia(media.url);
    expect((await put(mediaId, '0123456789')).status).toBe(200);
    const path = `${media.url}${downloadPath(mediaId)}`;
    await expectMatrixError(
      await fetch(`${path}?timeout_ms=-5`, { headers: auth(TOKENS.bob) }),
      400,
      'M_INVALID_PARAM',
    );
    for (const range of ['bytes=5-2', 'bytes=-', 'bytes=a-b']) {
      const response = await fetch(path, { headers: { ...auth(TOKENS.bob), Range: range } });
      await expectMatrixError(response, 416, 'M_INVALID_PARAM');
    }
    await expectMatrixError(
      await fetch(`${media.url}/_matrix/client/v1/media/download/${SERVER_NAME}/bad%2Fid`, {
        headers: auth(TOKENS.bob),
      }),
      400,
      'M_INVALID_PARAM',
    );
    await expectMatrixError(await fetch(`${media.url}/_matrix/client/v1/media/download`), 404, 'M_NOT_FOUND');
    await expectMatrixError(await fetch(`${media.url}/elsewhere`), 404, 'M_UNRECOGNIZED');
  });
});
