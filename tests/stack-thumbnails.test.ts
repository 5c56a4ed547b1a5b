import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaClient, slipstreamMediaUsers, splitContentUri } from './support/media-client.js';
import type { StackInfo } from './support/stack.js';

/*
 * Deploying Slipstream's media server must take nothing away from existing clients: images they upload
 * the classic way (POST /upload, or /create + PUT with an image type) still get the thumbnails every
 * Matrix client shows, through the deployment's nginx, with the homeserver's own auth.
 */

describe('thumbnails through nginx', () => {
  let stack: StackInfo;
  let alice: MediaClient;
  let bob: MediaClient;

  beforeAll(async () => {
    ({ stack, alice, bob } = await slipstreamMediaUsers());
  });

  const thumbnailUrl = (serverName: string, mediaId: string, query: string, legacy = false): string =>
    `${stack.baseUrl}/_matrix/${legacy ? 'media/v3' : 'client/v1/media'}/thumbnail/${serverName}/${mediaId}?${query}`;

  it('a JPEG uploaded with the classic POST /upload gets scaled and cropped thumbnails', async () => {
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    const uploaded = await alice.request(
      'POST',
      `${stack.baseUrl}/_matrix/media/v3/upload?filename=photo.jpg`,
      { 'Content-Type': 'image/jpeg' },
      photo,
    );
    expect(uploaded.status).toBe(200);
    const media = splitContentUri((JSON.parse(uploaded.text) as { content_uri: string }).content_uri);

    const scaled = await fetch(thumbnailUrl(media.serverName, media.mediaId, 'width=320&height=240&method=scale'), {
      headers: { Authorization: bob.authorization },
    });
    expect(scaled.status).toBe(200);
    expect(scaled.headers.get('content-type')).toBe('image/jpeg');
    const scaledMeta = await sharp(Buffer.from(await scaled.arrayBuffer())).metadata();
    expect([scaledMeta.width, scaledMeta.height]).toEqual([320, 240]);

    const cropped = await fetch(thumbnailUrl(media.serverName, media.mediaId, 'width=32&height=32&method=crop'), {
      headers: { Authorization: bob.authorization },
    });
    expect(cropped.status).toBe(200);
    const croppedMeta = await sharp(Buffer.from(await cropped.arrayBuffer())).metadata();
    expect([croppedMeta.width, croppedMeta.height, croppedMeta.format]).toEqual([32, 32, 'jpeg']);

    // The legacy unauthenticated path refuses media this server created, as Synapse does its own new
    // media (tests/stack-media-hardening.test.ts has the details).
    const legacy = await fetch(thumbnailUrl(media.serverName, media.mediaId, 'width=32&height=32&method=crop', true));
    expect(legacy.status).toBe(404);
  });

  it('a PNG uploaded with /create + PUT gets a PNG thumbnail; without a token the authenticated path is 401', async () => {
    const media = await alice.create();
    const drawing = await sharp({
      create: { width: 400, height: 400, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const put = await alice.request(
      'PUT',
      `${stack.baseUrl}/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`,
      { 'Content-Type': 'image/png' },
      drawing,
    );
    expect(put.status).toBe(200);
    const url = thumbnailUrl(media.serverName, media.mediaId, 'width=96&height=96&method=crop');
    const response = await fetch(url, { headers: { Authorization: bob.authorization } });
    expect(response.status).toBe(200);
    const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([metadata.width, metadata.height, metadata.format, metadata.hasAlpha]).toEqual([96, 96, 'png', true]);
    expect((await fetch(url)).status).toBe(401);
  });

  it('an encrypted upload (application/octet-stream) has no thumbnail: 404 M_NOT_FOUND', async () => {
    const media = await alice.create();
    expect((await alice.put(media, Buffer.alloc(10_000, 1))).status).toBe(200);
    const reply = await bob.request('GET', thumbnailUrl(media.serverName, media.mediaId, 'width=32&height=32'));
    expect(reply.status).toBe(404);
    expect(reply.errcode).toBe('M_NOT_FOUND');
  });
});
