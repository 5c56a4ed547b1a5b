import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  createMedia,
  downloadPath,
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
} from '../testing/harness.js';
import { TUS_PATH_PREFIX } from './tus-handler.js';

let homeserver: FakeHomeserver;
let media: TestServer;

beforeAll(async () => {
  homeserver = await startFakeHomeserver();
  media = await startTestServer(homeserver, { limits: { maxUploadBytes: 1_000_000 } });
});
afterAll(async () => {
  await media.close();
  await homeserver.close();
});

const tusUrl = (mediaId: string): string => `${media.url}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`;
const TUS = { 'Tus-Resumable': '1.0.0' };

const head = (mediaId: string, token: string = TOKENS.alice) =>
  fetch(tusUrl(mediaId), { method: 'HEAD', headers: { ...TUS, ...auth(token) } });

const patch = (
  mediaId: string,
  offset: number,
  body: Uint8Array,
  extra: Record<string, string> = {},
  token: string = TOKENS.alice,
) =>
  fetch(tusUrl(mediaId), {
    method: 'PATCH',
    headers: {
      ...TUS,
      ...auth(token),
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      ...extra,
    },
    body,
  });

describe('tus 1.0.0 on the media ID from /create', () => {
  it('OPTIONS advertises version, extensions and the maximum size', async () => {
    const response = await fetch(tusUrl('anything'), { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('tus-version')).toBe('1.0.0');
    expect(response.headers.get('tus-extension')).toBe('creation-defer-length,termination');
    expect(response.headers.get('tus-max-size')).toBe('1000000');
  });

  it('HEAD reports offset 0 and a deferred length; PATCHes declare the length, stream to readers, and complete', async () => {
    const mediaId = await createMedia(media.url);
    const first = await head(mediaId);
    expect(first.status).toBe(200);
    expect(first.headers.get('upload-offset')).toBe('0');
    expect(first.headers.get('upload-defer-length')).toBe('1');

    const body = pattern(100, 1);
    const reader = observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=10000`);
    await sleep(30);
    const part = await patch(mediaId, 0, body.subarray(0, 40), { 'Upload-Length': '100' });
    expect(part.status).toBe(204);
    expect(part.headers.get('upload-offset')).toBe('40');

    const mismatch = await patch(mediaId, 0, body.subarray(0, 40));
    expect(mismatch.status).toBe(409);
    expect(((await mismatch.json()) as { errcode: string }).errcode).toBe('ORG.MATRIX.MSC4016_OFFSET_MISMATCH');

    const middle = await head(mediaId);
    expect(middle.headers.get('upload-offset')).toBe('40');
    expect(middle.headers.get('upload-length')).toBe('100');

    const rest = await patch(mediaId, 40, body.subarray(40));
    expect(rest.headers.get('upload-offset')).toBe('100');
    const download = await reader;
    expect(download.aborted).toBe(false);
    expect(download.headers['content-length']).toBe('100');
    expect(download.body.equals(body)).toBe(true);

    const again = await fetch(`${media.url}/_matrix/media/v3/upload/${SERVER_NAME}/${mediaId}`, {
      method: 'PUT',
      headers: auth(TOKENS.alice),
      body: 'x',
    });
    expect(again.status).toBe(409);
  });

  it('applies the PUT auth and ownership rules', async () => {
    const mediaId = await createMedia(media.url);
    const noToken = await fetch(tusUrl(mediaId), { method: 'HEAD', headers: TUS });
    expect(noToken.status).toBe(401);
    const bob = await patch(mediaId, 0, pattern(10), {}, TOKENS.bob);
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN');
    expect((await head('neverCreatedHere')).status).toBe(404);
  });

  it('resumes an interrupted streamed PUT from the offset HEAD reports', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(1000, 2);
    const put = startPut(media.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': '1000' });
    put.response.catch(() => {});
    put.request.write(body.subarray(0, 300));
    await sleep(100);
    put.request.destroy();
    await sleep(100);
    const offset = Number((await head(mediaId)).headers.get('upload-offset'));
    expect(offset).toBe(300);
    expect((await head(mediaId)).headers.get('upload-length')).toBe('1000');
    expect((await patch(mediaId, offset, body.subarray(offset))).status).toBe(204);
    const download = await observeDownload(media.url, downloadPath(mediaId));
    expect(download.body.equals(body)).toBe(true);
  });

  it('DELETE terminates the upload: readers following it are aborted and the ID is gone', async () => {
    const mediaId = await createMedia(media.url);
    expect((await patch(mediaId, 0, pattern(50), { 'Upload-Length': '500' })).status).toBe(204);
    const follower = observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=10000`);
    await sleep(50);
    const deleted = await fetch(tusUrl(mediaId), { method: 'DELETE', headers: { ...TUS, ...auth(TOKENS.alice) } });
    expect(deleted.status).toBe(204);
    const cut = await follower;
    expect(cut.aborted).toBe(true);
    expect(cut.body.equals(pattern(50))).toBe(true);
    expect((await head(mediaId)).status).toBe(404);
  });
});

describe('a PATCH resuming while an earlier PATCH still holds the upload', () => {
  it('cuts the earlier PATCH, which keeps what it received; the upload resumes from that offset', async () => {
    const mediaId = await createMedia(media.url);
    const body = pattern(3000, 5);
    // The first PATCH sends 1000 bytes and then stalls, as a connection the server has not seen break.
    const stalled = httpRequest(tusUrl(mediaId), {
      method: 'PATCH',
      headers: {
        ...TUS,
        ...auth(TOKENS.alice),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': '0',
        'Upload-Length': String(body.length),
      },
    });
    const stalledOutcome = new Promise<string>((resolve) => {
      stalled.once('response', (response) => resolve(`answered ${response.statusCode}`));
      stalled.once('error', (error) => resolve(`cut: ${error.message}`));
    });
    stalled.write(body.subarray(0, 1000));
    const seen = await observeDownload(media.url, `${downloadPath(mediaId)}?timeout_ms=5000`, {
      ...auth(TOKENS.bob),
      Range: 'bytes=999-999',
    });
    expect(seen.status).toBe(206);

    // The client resumes from the offset it last saw acknowledged (0): the old PATCH is cut and has
    // kept its 1000 bytes, so this PATCH is told the offset moved.
    const resumedTooEarly = await patch(mediaId, 0, body);
    expect(resumedTooEarly.status).toBe(409);
    expect(((await resumedTooEarly.json()) as { errcode: string }).errcode).toBe('ORG.MATRIX.MSC4016_OFFSET_MISMATCH');
    expect(await stalledOutcome).toMatch(/^cut|answered/);
    const offset = Number((await head(mediaId)).headers.get('upload-offset'));
    expect(offset).toBe(1000);
    const rest = await patch(mediaId, offset, body.subarray(offset));
    expect(rest.status).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(body.length));
    const whole = await observeDownload(media.url, downloadPath(mediaId));
    expect(whole.body.equals(body)).toBe(true);
  });
});

describe('tus malformed requests', () => {
  it('refuses negative, non-numeric and oversized lengths and offsets with clear errors', async () => {
    const mediaId = await createMedia(media.url);
    const cases: [Record<string, string>, number][] = [
      [{ 'Upload-Length': '-1' }, 400],
      [{ 'Upload-Length': 'many' }, 400],
      [{ 'Upload-Length': '1000001' }, 413],
    ];
    for (const [headers, status] of cases) {
      const response = await patch(mediaId, 0, pattern(1), headers);
      expect({ headers, status: response.status }).toEqual({ headers, status });
      expect(typeof ((await response.json()) as { errcode: unknown }).errcode).toBe('string');
    }
    const negativeOffset = await fetch(tusUrl(mediaId), {
      method: 'PATCH',
      headers: {
        ...TUS,
        ...auth(TOKENS.alice),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': '-5',
      },
      body: pattern(1),
    });
    expect(negativeOffset.status).toBe(400);
    const wrongType = await patch(mediaId, 0, pattern(1), { 'Content-Type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect((await head(mediaId)).headers.get('upload-offset')).toBe('0');
  });
});
