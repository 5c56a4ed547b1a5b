import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { auth, createMedia, SERVER_NAME, TOKENS, uploadPath, useTestServer } from '../testing/harness.js';
import { chooseThumbnailSize } from './thumbnail-size.js';

const server = useTestServer();

/** An image of `width` × `height` in `format`, two colours so a crop is visible. */
const image = (width: number, height: number, format: 'png' | 'jpeg'): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    [format]()
    .toBuffer();

async function upload(bytes: Buffer, contentType: string): Promise<string> {
  const mediaId = await createMedia(server.current().url);
  const response = await fetch(`${server.current().url}${uploadPath(mediaId)}`, {
    method: 'PUT',
    headers: { ...auth(TOKENS.alice), 'Content-Type': contentType },
    body: bytes,
  });
  expect(response.status).toBe(200);
  return mediaId;
}

const thumbnail = (mediaId: string, query: string): Promise<Response> =>
  fetch(`${server.current().url}/_matrix/client/v1/media/thumbnail/${SERVER_NAME}/${mediaId}?${query}`, {
    headers: auth(TOKENS.bob),
  });

async function dimensionsOf(response: Response): Promise<{ width: number; height: number; format: string }> {
  const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
  return { width: metadata.width, height: metadata.height, format: metadata.format };
}

describe('thumbnails of images stored here (client-server spec)', () => {
  it('scale fits the image inside the box, keeping its aspect ratio', async () => {
    const mediaId = await upload(await image(1000, 500, 'png'), 'image/png');
    const response = await thumbnail(mediaId, 'width=640&height=480&method=scale');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(await dimensionsOf(response)).toEqual({ width: 640, height: 320, format: 'png' });
  });

  it('crop fills the box exactly, and JPEG stays JPEG', async () => {
    const mediaId = await upload(await image(1000, 500, 'jpeg'), 'image/jpeg');
    const response = await thumbnail(mediaId, 'width=96&height=96&method=crop');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(await dimensionsOf(response)).toEqual({ width: 96, height: 96, format: 'jpeg' });
  });

  it('answers an arbitrary size with the nearest standard size at least as large, and never upscales', async () => {
    expect(chooseThumbnailSize({ width: 50, height: 50, method: 'crop' })).toEqual({
      width: 96,
      height: 96,
      method: 'crop',
    });
    expect(chooseThumbnailSize({ width: 2000, height: 2000, method: 'scale' })).toEqual({
      width: 800,
      height: 600,
      method: 'scale',
    });
    const large = await upload(await image(1000, 500, 'png'), 'image/png');
    expect(await dimensionsOf(await thumbnail(large, 'width=50&height=50&method=crop'))).toMatchObject({
      width: 96,
      height: 96,
    });
    const small = await upload(await image(20, 10, 'png'), 'image/png');
    expect(await dimensionsOf(await thumbnail(small, 'width=320&height=240'))).toMatchObject({ width: 20, height: 10 });
  });

  it('has no thumbnail of encrypted (octet-stream) media, nor of bytes that only claim to be an image', async () => {
    const encrypted = await upload(Buffer.alloc(4096, 7), 'application/octet-stream');
    const none = await thumbnail(encrypted, 'width=32&height=32&method=crop');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { errcode: string }).errcode).toBe('M_NOT_FOUND');
    const fake = await upload(Buffer.alloc(4096, 7), 'image/png');
    const undecodable = await thumbnail(fake, 'width=32&height=32&method=crop');
    expect(undecodable.status).toBe(404);
    expect(((await undecodable.json()) as { errcode: string }).errcode).toBe('M_NOT_FOUND');
  });

  it('refuses missing or malformed sizes and methods with M_INVALID_PARAM', async () => {
    const mediaId = await upload(await image(64, 64, 'png'), 'image/png');
    for (const query of ['height=32', 'width=0&height=32', 'width=-1&height=32', 'width=32&height=32&method=zoom']) {
      const response = await thumbnail(mediaId, query);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { errcode: string }).errcode, query).toBe('M_INVALID_PARAM');
    }
  });

  it('for media not yet uploaded (or still uploading) waits timeout_ms, then answers 504 M_NOT_YET_UPLOADED', async () => {
    const mediaId = await createMedia(server.current().url);
    const response = await thumbnail(mediaId, 'width=32&height=32&timeout_ms=200');
    expect(response.status).toBe(504);
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_NOT_YET_UPLOADED');
  });
});
