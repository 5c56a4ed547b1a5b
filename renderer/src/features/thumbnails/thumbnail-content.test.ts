import { describe, expect, it } from 'vitest';
import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import { announcedContent } from '../sending/announcement';
import { mediaInfoFields, type ThumbnailFile, type UploadedThumbnail } from './thumbnail-content';

const thumbnailFile: ThumbnailFile = {
  v: 'v2',
  url: 'mxc://localhost/thumb',
  key: { kty: 'oct', alg: 'A256CTR', k: 'a2V5', key_ops: ['encrypt', 'decrypt'], ext: true },
  iv: 'AAAAAAAAAAAAAAAAAAAAAA',
  hashes: { sha256: 'aGFzaA' },
};
const encrypted: UploadedThumbnail = {
  location: { kind: 'encrypted', file: thumbnailFile },
  width: 800,
  height: 450,
  mimetype: 'image/jpeg',
  size: 41_234,
};

describe('what a sent file’s event says of its media', () => {
  it('an encrypted thumbnail goes in thumbnail_file, with thumbnail_info, beside the size and duration', () => {
    expect(mediaInfoFields({ w: 1920, h: 1080, duration: 21_000.4 }, encrypted)).toEqual({
      w: 1920,
      h: 1080,
      duration: 21_000,
      thumbnail_info: { w: 800, h: 450, mimetype: 'image/jpeg', size: 41_234 },
      thumbnail_file: thumbnailFile,
    });
  });

  it('a thumbnail in a room without encryption is a thumbnail_url, as Element posts it', () => {
    const plain: UploadedThumbnail = { ...encrypted, location: { kind: 'plain', url: 'mxc://localhost/plain' } };
    const fields = mediaInfoFields({ w: 640, h: 480 }, plain);
    expect(fields.thumbnail_url).toBe('mxc://localhost/plain');
    expect(fields).not.toHaveProperty('thumbnail_file');
  });

  it('says only what is known: no half a size, no endless duration, no thumbnail_info without a thumbnail', () => {
    expect(mediaInfoFields({})).toEqual({});
    expect(mediaInfoFields({ w: 640 })).toEqual({});
    expect(mediaInfoFields({ w: 0, h: 0, duration: Number.POSITIVE_INFINITY })).toEqual({});
    expect(mediaInfoFields({ duration: Number.NaN })).toEqual({});
    expect(mediaInfoFields({ duration: 183_456.7 })).toEqual({ duration: 183_457 });
  });

  it('the posted event carries them in info, and the engine’s size and mimetype win', () => {
    const content = {
      msgtype: 'm.video',
      body: 'film.mp4',
      filename: 'film.mp4',
      file: { v: 'v2', key: {}, iv: 'AAAA', url: 'mxc://x/m', hashes: { sha256: 'AAAA' } },
      info: { size: 5_000_000, mimetype: 'video/mp4' },
    } as unknown as FileMessageContent;
    const posted = announcedContent(content, {
      ...mediaInfoFields({ w: 640, h: 360, duration: 21_000 }, encrypted),
      ...({ size: 1, mimetype: 'image/png' } as object),
    });
    expect(posted['msgtype']).toBe('m.video');
    expect(posted['info']).toEqual({
      size: 5_000_000,
      mimetype: 'video/mp4',
      w: 640,
      h: 360,
      duration: 21_000,
      thumbnail_info: { w: 800, h: 450, mimetype: 'image/jpeg', size: 41_234 },
      thumbnail_file: thumbnailFile,
    });
    expect(announcedContent(content)['info']).toEqual({ size: 5_000_000, mimetype: 'video/mp4' });
  });
});
