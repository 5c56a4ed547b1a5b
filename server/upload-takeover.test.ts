import { describe, expect, it } from 'vitest';
import { openRequest, type OpenRequest } from '../tests/support/open-request.js';
import {
  auth,
  createMedia,
  downloadPath,
  observeDownload,
  pattern,
  SERVER_NAME,
  sleep,
  TOKENS,
  uploadPath,
  useTestServer,
} from './testing/harness.js';
import { TUS_PATH_PREFIX } from './tus/tus-handler.js';

/*
 * One rule for every upload method (docs/PROTOCOL.md §4.2): a new PUT or PATCH by the upload's owner
 * takes the upload over from an earlier request that still holds it, which is cut and keeps what it
 * sent; and a body that sends nothing for the idle time is ended with 408, keeping what arrived.
 */

// The takeover tests keep the default idle time (a minute), so only a takeover can end a stalled body.
const server = useTestServer();
const idleServer = useTestServer({ limits: { bodyIdleTimeoutMs: 400 } });
const url = (): string => server.current().url;
const tusUrl = (base: string, mediaId: string): string => `${base}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`;

function startPut(mediaId: string, length: number, token: string = TOKENS.alice): OpenRequest {
  return openRequest(`${url()}${uploadPath(mediaId)}`, {
    method: 'PUT',
    headers: { ...auth(token), 'Content-Length': String(length) },
  });
}

/** Until the server holds the upload's writer slot (the request passed its checks and is reading). */
async function untilWriting(mediaId: string): Promise<void> {
  const key = { serverName: SERVER_NAME, mediaId };
  for (let i = 0; i < 500 && !server.current().server.context.live.isBeingWritten(key); i++) await sleep(5);
  expect(server.current().server.context.live.isBeingWritten(key)).toBe(true);
}

const head = (base: string, mediaId: string) =>
  fetch(tusUrl(base, mediaId), { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', ...auth(TOKENS.alice) } });

describe('a newer request by the owner takes an upload over', () => {
  it('a PUT takes over from a PUT that stored nothing yet, and completes the upload', async () => {
    const mediaId = await createMedia(url());
    const stalled = startPut(mediaId, 100);
    await untilWriting(mediaId);
    const body = pattern(100, 1);
    const put = await fetch(`${url()}${uploadPath(mediaId)}`, { method: 'PUT', headers: auth(TOKENS.alice), body });
    expect(put.status).toBe(200);
    expect(await stalled.answer).toMatchObject({ status: 409, errcode: 'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS' });
    const download = await observeDownload(url(), downloadPath(mediaId));
    expect(download.body.equals(body)).toBe(true);
  });

  it('a PUT on an upload that already has bytes is told to resume with tus, and leaves their sender alone', async () => {
    const mediaId = await createMedia(url());
    const body = pattern(1000, 2);
    const holder = startPut(mediaId, body.length);
    await holder.write(body.subarray(0, 300));
    const seen = await observeDownload(url(), `${downloadPath(mediaId)}?timeout_ms=5000`, {
      ...auth(TOKENS.bob),
      Range: 'bytes=299-299',
    });
    expect(seen.status).toBe(206);
    // A PUT writes from byte 0, so it could not use the upload even if it took it over.
    const put = await fetch(`${url()}${uploadPath(mediaId)}`, { method: 'PUT', headers: auth(TOKENS.alice), body });
    expect(put.status).toBe(409);
    expect(((await put.json()) as { errcode: string }).errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');
    holder.end(body.subarray(300));
    expect(await holder.answer).toMatchObject({ status: 200 });
    expect((await observeDownload(url(), downloadPath(mediaId))).body.equals(body)).toBe(true);
  });

  it('another user cannot take an upload over: refused, and the request holding it goes on', async () => {
    const mediaId = await createMedia(url());
    const body = pattern(200, 3);
    const holder = startPut(mediaId, body.length);
    await holder.write(body.subarray(0, 100));
    await untilWriting(mediaId);
    const intruder = await fetch(`${url()}${uploadPath(mediaId)}`, {
      method: 'PUT',
      headers: auth(TOKENS.bob),
      body: pattern(200),
    });
    expect(intruder.status).toBe(403);
    holder.end(body.subarray(100));
    expect(await holder.answer).toMatchObject({ status: 200 });
  });
});

describe('a body that sends nothing for the idle time', () => {
  it('a tus PATCH is answered 408 with Tus-Resumable and keeps what arrived', async () => {
    const mediaId = await createMedia(idleServer.current().url);
    const patch = openRequest(tusUrl(idleServer.current().url, mediaId), {
      method: 'PATCH',
      headers: {
        ...auth(TOKENS.alice),
        'Tus-Resumable': '1.0.0',
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': '0',
        'Upload-Length': '500',
        'Content-Length': '500',
      },
    });
    await patch.write(pattern(120));
    expect(await patch.answer).toMatchObject({
      status: 408,
      errcode: 'ORG.MATRIX.MSC4016_BODY_TIMEOUT',
      headers: expect.objectContaining({ 'tus-resumable': '1.0.0', connection: 'close' }) as unknown,
    });
    expect((await head(idleServer.current().url, mediaId)).headers.get('upload-offset')).toBe('120');
  });

  it('a one-shot POST /upload is answered 408 and its media abandoned', async () => {
    const post = openRequest(`${idleServer.current().url}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { ...auth(TOKENS.alice), 'Content-Length': '500' },
    });
    await post.write(pattern(50));
    expect(await post.answer).toMatchObject({ status: 408 });
    // Its media was cancelled: nothing of it is left being written.
    const { live } = idleServer.current().server.context;
    for (let i = 0; i < 100 && live.size > 0; i++) await sleep(5);
    expect(live.size).toBe(0);
  });
});
