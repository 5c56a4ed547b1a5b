import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TUS_PATH_PREFIX } from '../server/handlers/config-handler.js';
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
  TOKENS,
  type FakeHomeserver,
} from '../server/testing/harness.js';
import { s3Client } from '../scripts/stack/scaled/seaweedfs.js';
import { startObjectStoreInstance, type MediaInstance } from './support/scaled-media.js';
import { startScaledServices, type ScaledServices } from './support/scaled-services.js';

/*
 * Several media-server instances sharing one object store (SeaweedFS) and one PostgreSQL, started by
 * this file on 127.0.0.1 (docs/ARCHITECTURE.md, "Several instances"). Each behaviour is checked by
 * going through one instance and looking through the other. Delays are printed, never asserted.
 */

let services: ScaledServices;
let homeserver: FakeHomeserver;
let a: MediaInstance;
let b: MediaInstance;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  services = await startScaledServices();
  homeserver = await startFakeHomeserver();
  const config = { limits: { pendingUploadsPerUser: 3, unusedExpiryMs: 60_000 } };
  a = await startObjectStoreInstance(services, homeserver, { config, clock });
  b = await startObjectStoreInstance(services, homeserver, { config, clock });
}, 180_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await homeserver?.close();
  await services?.stop();
}, 60_000);

const TUS = { 'Tus-Resumable': '1.0.0' };
const tusUrl = (instance: MediaInstance, mediaId: string): string =>
  `${instance.url}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`;

async function objectsOf(mediaId: string): Promise<string[]> {
  const client = s3Client(services.seaweed);
  try {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: services.bucket, Prefix: `${SERVER_NAME}/${mediaId}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key!);
  } finally {
    client.destroy();
  }
}

async function patch(instance: MediaInstance, mediaId: string, offset: number, body: Buffer, extra = {}) {
  return fetch(tusUrl(instance, mediaId), {
    method: 'PATCH',
    headers: {
      ...TUS,
      ...auth(TOKENS.alice),
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      ...extra,
    },
    body,
  });
}

describe('several instances on one object store and PostgreSQL', () => {
  it('an upload arriving at instance A is read live through instance B, byte-identical', async () => {
    const mediaId = await createMedia(a.url);
    const reader = observeDownload(b.url, `${downloadPath(mediaId)}?timeout_ms=30000`);
    await sleep(200);
    const body = pattern(48 * 64 * 1024 + 77, 3);
    const put = startPut(a.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': String(body.length) });
    const startedAt = performance.now();
    const chunks = 48;
    const size = Math.ceil(body.length / chunks);
    for (let i = 0; i < chunks; i += 1) {
      put.request.write(body.subarray(i * size, (i + 1) * size));
      await sleep(40);
    }
    put.request.end();
    const answered = await put.response;
    const finishedAt = performance.now();
    expect(answered.statusCode).toBe(200);
    const download = await reader;
    console.log(
      `A→B: first byte through B ${(download.firstByteAt! - startedAt).toFixed(0)} ms after the upload began; ` +
        `the upload took ${(finishedAt - startedAt).toFixed(0)} ms`,
    );
    expect(download.status).toBe(200);
    expect(download.aborted).toBe(false);
    expect(download.headers['content-length']).toBe(String(body.length));
    expect(download.firstByteAt!).toBeLessThan(finishedAt);
    expect(download.body.equals(body)).toBe(true);
  });

  it('tus HEAD and PATCH work on any instance: begun on A, resumed on B from the offset the store holds', async () => {
    const mediaId = await createMedia(a.url);
    const body = pattern(3 * 1024 * 1024 + 11, 5);
    const first = await patch(a, mediaId, 0, body.subarray(0, 1_500_000), { 'Upload-Length': String(body.length) });
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('1500000');
    const head = await fetch(tusUrl(b, mediaId), { method: 'HEAD', headers: { ...TUS, ...auth(TOKENS.alice) } });
    expect(head.headers.get('upload-offset')).toBe('1500000');
    expect(head.headers.get('upload-length')).toBe(String(body.length));
    const stale = await patch(b, mediaId, 0, body.subarray(0, 10));
    expect(stale.status).toBe(409);
    const rest = await patch(b, mediaId, 1_500_000, body.subarray(1_500_000));
    expect(rest.status).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(body.length));
    const download = await observeDownload(a.url, downloadPath(mediaId));
    expect(download.status).toBe(200);
    expect(download.body.equals(body)).toBe(true);
    const ranged = await fetch(`${b.url}${downloadPath(mediaId)}`, {
      headers: { ...auth(TOKENS.bob), Range: 'bytes=1499990-1500009' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(body.subarray(1_499_990, 1_500_010))).toBe(true);
  });

  it("a tus DELETE on B aborts a reader on A and removes the upload's objects from the store", async () => {
    const mediaId = await createMedia(a.url);
    const body = pattern(2 * 1024 * 1024, 9);
    let firstByte!: () => void;
    const receiving = new Promise<void>((resolve) => (firstByte = resolve));
    const reader = observeDownload(a.url, `${downloadPath(mediaId)}?timeout_ms=30000`, auth(TOKENS.bob), firstByte);
    expect(
      (await patch(a, mediaId, 0, body.subarray(0, 1_200_000), { 'Upload-Length': String(body.length) })).status,
    ).toBe(204);
    expect((await objectsOf(mediaId)).length).toBeGreaterThan(0);
    // The reader is following the upload (its response began) before the upload is cancelled.
    await receiving;
    const deleted = await fetch(tusUrl(b, mediaId), { method: 'DELETE', headers: { ...TUS, ...auth(TOKENS.alice) } });
    expect(deleted.status).toBe(204);
    const download = await reader;
    expect(download.status).toBe(200);
    expect(download.aborted).toBe(true);
    expect(download.body.length).toBeLessThanOrEqual(1_200_000);
    expect(await objectsOf(mediaId)).toEqual([]);
    const after = await fetch(`${b.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) });
    expect(after.status).toBe(404);
  });

  it('the pending-upload limit counts uploads created on every instance', async () => {
    // A user of their own: the other tests' uploads must not count.
    const created = [await createMedia(a.url, TOKENS.bob), await createMedia(b.url, TOKENS.bob)];
    created.push(await createMedia(a.url, TOKENS.bob));
    const refused = await fetch(`${b.url}/_matrix/media/v1/create`, { method: 'POST', headers: auth(TOKENS.bob) });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { errcode: string }).errcode).toBe('M_LIMIT_EXCEEDED');
    for (const mediaId of created) {
      await fetch(tusUrl(a, mediaId), { method: 'DELETE', headers: { ...TUS, ...auth(TOKENS.bob) } });
    }
  });

  it('an upload that expired is expired everywhere: swept by B, gone on A with its objects', async () => {
    const mediaId = await createMedia(a.url);
    expect((await patch(a, mediaId, 0, pattern(300_000, 1))).status).toBe(204);
    expect((await objectsOf(mediaId)).length).toBeGreaterThan(0);
    // Past unused_expires_at, and past the window in which a recorded part means "still being written".
    clock.advance(120_000);
    expect(await b.server.sweep()).toBeGreaterThanOrEqual(1);
    const download = await fetch(`${a.url}${downloadPath(mediaId)}`, { headers: auth(TOKENS.bob) });
    expect(download.status).toBe(404);
    expect(await objectsOf(mediaId)).toEqual([]);
  });

  it('the sweeper removes objects no record references (a part whose writer died before recording it)', async () => {
    const kept = await createMedia(a.url);
    expect((await patch(a, kept, 0, pattern(200_000, 2), { 'Upload-Length': '200000' })).status).toBe(204);
    const orphanKey = `${SERVER_NAME}/${kept}/0000000000200000.99`;
    const client = s3Client(services.seaweed);
    try {
      await client.send(new PutObjectCommand({ Bucket: services.bucket, Key: orphanKey, Body: pattern(1000, 4) }));
    } finally {
      client.destroy();
    }
    // An instance whose grace is 0: every unreferenced object is an orphan at once.
    const sweeper = await startObjectStoreInstance(services, homeserver, { storage: { orphanGraceMs: 0 }, clock });
    try {
      await sweeper.server.sweep();
    } finally {
      await sweeper.close();
    }
    const left = await objectsOf(kept);
    expect(left).not.toContain(orphanKey);
    expect(left.length).toBeGreaterThan(0);
    const download = await observeDownload(b.url, downloadPath(kept));
    expect(download.body.equals(pattern(200_000, 2))).toBe(true);
  });
});
