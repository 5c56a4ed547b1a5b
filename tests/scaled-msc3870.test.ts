import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  downloadPath,
  observeDownload,
  pattern,
  SERVER_NAME,
  sleep,
  startFakeHomeserver,
  TOKENS,
  type FakeHomeserver,
} from '../server/testing/harness.js';
import { startObjectStoreInstance, type MediaInstance } from './support/scaled-media.js';
import { startScaledServices, type ScaledServices } from './support/scaled-services.js';

/*
 * MSC3870 (upload to a URL) on the object store: /create's upload_url is a presigned PUT straight
 * into SeaweedFS, bound to the media ID, its size and a short lifetime; `/complete` (stable and
 * unstable paths) finalises it on any instance, and the server notices an upload nobody completed.
 */

const LIMIT = 1_000_000;
let services: ScaledServices;
let homeserver: FakeHomeserver;
let a: MediaInstance;
let b: MediaInstance;
let shortLived: MediaInstance;

beforeAll(async () => {
  services = await startScaledServices();
  homeserver = await startFakeHomeserver();
  const config = { limits: { maxUploadBytes: LIMIT } };
  a = await startObjectStoreInstance(services, homeserver, { config });
  b = await startObjectStoreInstance(services, homeserver, { config });
  shortLived = await startObjectStoreInstance(services, homeserver, {
    config,
    storage: { directUploads: { enabled: true, urlExpiresInSeconds: 1 } },
  });
}, 180_000);

afterAll(async () => {
  for (const instance of [a, b, shortLived]) await instance?.close();
  await homeserver?.close();
  await services?.stop();
}, 60_000);

interface Created {
  mediaId: string;
  uploadUrl: string;
  headers: Record<string, string>;
}

async function create(instance: MediaInstance, body?: object, token: string = TOKENS.alice): Promise<Created> {
  const response = await fetch(`${instance.url}/_matrix/media/v1/create`, {
    method: 'POST',
    headers: { ...auth(token), ...(body && { 'Content-Type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as {
    content_uri: string;
    upload_url?: string;
    'org.slipstream.upload_headers'?: Record<string, string>;
  };
  expect(answer.upload_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  return {
    mediaId: answer.content_uri.split('/').pop()!,
    uploadUrl: answer.upload_url!,
    headers: answer['org.slipstream.upload_headers'] ?? {},
  };
}

const putTo = (created: Created, body: Buffer, headers = created.headers) =>
  fetch(created.uploadUrl, { method: 'PUT', headers: { ...headers, 'Content-Length': String(body.length) }, body });

const complete = (instance: MediaInstance, mediaId: string, token: string = TOKENS.alice, unstable = false) =>
  fetch(
    `${instance.url}/_matrix/media/${unstable ? 'unstable/com.beeper.msc3870' : 'v3'}/upload/${SERVER_NAME}/${mediaId}/complete`,
    { method: 'POST', headers: auth(token) },
  );

describe('MSC3870: upload_url straight into the object store', () => {
  it('create with upload_url, PUT to it, /complete on another instance, download like any media', async () => {
    const created = await create(a);
    expect(created.headers['If-None-Match']).toBe('*');
    const body = pattern(300_000, 7);
    const early = await complete(b, created.mediaId);
    expect(early.status).toBe(404);
    expect(((await early.json()) as { errcode: string }).errcode).toBe('M_NOT_YET_UPLOADED');
    expect((await putTo(created, body)).status).toBe(200);
    const done = await complete(b, created.mediaId);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ content_uri: `mxc://${SERVER_NAME}/${created.mediaId}` });
    const again = await complete(a, created.mediaId, TOKENS.alice, true);
    expect(again.status).toBe(200);
    const download = await observeDownload(a.url, downloadPath(created.mediaId));
    expect(download.status).toBe(200);
    expect(download.headers['content-length']).toBe(String(body.length));
    expect(download.body.equals(body)).toBe(true);
  });

  it('a second PUT after completion is refused by the store, and the content stays', async () => {
    const created = await create(a);
    const body = pattern(10_000, 1);
    expect((await putTo(created, body)).status).toBe(200);
    expect((await complete(a, created.mediaId)).status).toBe(200);
    const second = await putTo(created, pattern(10_000, 2));
    expect(second.status).toBe(412);
    const download = await observeDownload(b.url, downloadPath(created.mediaId));
    expect(download.body.equals(body)).toBe(true);
  });

  it('a PUT larger than the limit is refused: by the store when /create promised a size, else at /complete', async () => {
    const promised = await create(a, { 'org.slipstream.upload_size': 5_000 });
    expect(promised.headers['Content-Length']).toBe('5000');
    const longer = await putTo(promised, pattern(6_000, 3));
    expect(longer.status).toBe(403);
    expect((await putTo(promised, pattern(5_000, 3))).status).toBe(200);
    expect((await complete(a, promised.mediaId)).status).toBe(200);

    const overLimit = await fetch(`${a.url}/_matrix/media/v1/create`, {
      method: 'POST',
      headers: { ...auth(TOKENS.alice), 'Content-Type': 'application/json' },
      body: JSON.stringify({ 'org.slipstream.upload_size': LIMIT + 1 }),
    });
    expect(overLimit.status).toBe(413);

    const unpromised = await create(b);
    expect((await putTo(unpromised, pattern(LIMIT + 1, 4))).status).toBe(200);
    const refused = await complete(a, unpromised.mediaId);
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { errcode: string }).errcode).toBe('M_TOO_LARGE');
    const gone = await fetch(`${b.url}${downloadPath(unpromised.mediaId)}`, { headers: auth(TOKENS.bob) });
    expect(gone.status).toBe(404);
  });

  it("/complete on someone else's media is refused", async () => {
    const created = await create(a);
    expect((await putTo(created, pattern(1_000, 5))).status).toBe(200);
    const refused = await complete(b, created.mediaId, TOKENS.bob);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN');
  });

  it('an expired upload_url is refused by the store', async () => {
    const created = await create(shortLived);
    await sleep(2_500);
    const late = await putTo(created, pattern(1_000, 6));
    expect(late.status).toBe(403);
    expect(await late.text()).toMatch(/expired/i);
  });

  it('a PUT without the signed headers is refused (the URL is bound to them)', async () => {
    const created = await create(a);
    const bare = await fetch(created.uploadUrl, { method: 'PUT', body: pattern(1_000, 8) });
    expect(bare.status).toBe(403);
  });

  it('the server notices a direct upload its client never completed: a waiting reader gets it', async () => {
    const created = await create(a);
    const body = pattern(50_000, 9);
    const reader = observeDownload(b.url, `${downloadPath(created.mediaId)}?timeout_ms=30000`);
    await sleep(300);
    expect((await putTo(created, body)).status).toBe(200);
    const download = await reader;
    expect(download.status).toBe(200);
    expect(download.body.equals(body)).toBe(true);
  });

  it('the sweeper completes a direct upload nobody asked about', async () => {
    const created = await create(a);
    expect((await putTo(created, pattern(2_000, 10))).status).toBe(200);
    await b.server.sweep();
    const record = await b.server.context.store.getMedia({ serverName: SERVER_NAME, mediaId: created.mediaId });
    expect(record?.state).toBe('complete');
    expect(record?.uploadOffset).toBe(2_000);
  });

  it('a streamed upload (tus or PUT) remains possible and takes the media over', async () => {
    const created = await create(a);
    const body = pattern(20_000, 11);
    const put = await fetch(`${b.url}/_matrix/media/v3/upload/${SERVER_NAME}/${created.mediaId}`, {
      method: 'PUT',
      headers: auth(TOKENS.alice),
      body,
    });
    expect(put.status).toBe(200);
    const late = await complete(a, created.mediaId);
    expect(late.status).toBe(200);
    const download = await observeDownload(a.url, downloadPath(created.mediaId));
    expect(download.body.equals(body)).toBe(true);
  });

  it('/versions advertises the unstable feature on top of the homeserver’s answer', async () => {
    const response = await fetch(`${a.url}/_matrix/client/versions`);
    // The fake homeserver has no /versions (404): its answer is passed on with the feature added.
    const versions = (await response.json()) as { unstable_features?: Record<string, boolean> };
    expect(versions.unstable_features?.['com.beeper.msc3870']).toBe(true);
  });
});
