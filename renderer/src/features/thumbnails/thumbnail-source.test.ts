import { describe, expect, it } from 'vitest';
import { thumbnailOf } from './thumbnail-source';

const file = {
  v: 'v2',
  url: 'mxc://example.org/AbC_12-3',
  key: { kty: 'oct', alg: 'A256CTR', k: 'a2V5LWJ5dGVz', key_ops: ['encrypt', 'decrypt'], ext: true },
  iv: 'AAAAAAAAAAAAAAAAAAAAAA',
  hashes: { sha256: 'aGFzaC1ieXRlcw' },
};
const thumbnailInfo = { w: 800, h: 450, mimetype: 'image/jpeg', size: 40_000 };
const contentWith = (info: Record<string, unknown>) => ({ msgtype: 'm.video', body: 'film.mp4', info });

describe('reading a received file event’s thumbnail', () => {
  it('takes a v2 thumbnail_file with its size from thumbnail_info', () => {
    const { source, width, height } = thumbnailOf(
      contentWith({ w: 1920, h: 1080, thumbnail_file: file, thumbnail_info: thumbnailInfo }),
    );
    expect(source?.location).toEqual({ kind: 'encrypted', file });
    expect(source?.mimetype).toBe('image/jpeg');
    expect([width, height]).toEqual([800, 450]);
  });

  it('takes a plain thumbnail_url, and the file’s own w and h when thumbnail_info has none', () => {
    const { source, width, height } = thumbnailOf(
      contentWith({ w: 1920, h: 1080, thumbnail_url: 'mxc://example.org/plain' }),
    );
    expect(source?.location).toEqual({ kind: 'plain', url: 'mxc://example.org/plain' });
    expect(source?.mimetype).toBeUndefined();
    expect([width, height]).toEqual([1920, 1080]);
  });

  it('refuses anything but v2: no version, v1, MSC4016’s v3, a missing hash', () => {
    for (const thumbnail_file of [
      { ...file, v: undefined },
      { ...file, v: 'v1' },
      { ...file, v: 'org.matrix.msc4016.v3', key: { ...file.key, alg: 'A256GCM' } },
      { ...file, hashes: {} },
      { ...file, key: { ...file.key, alg: 'A256GCM' } },
      'mxc://example.org/x',
      null,
    ])
      expect(thumbnailOf(contentWith({ thumbnail_file, thumbnail_info: thumbnailInfo })).source).toBeUndefined();
  });

  it('refuses URLs that are not plain mxc:// server/media ID pairs', () => {
    for (const url of [
      undefined,
      'https://example.org/thumb.jpg',
      'mxc://example.org/../../_synapse/admin',
      'mxc://example.org/a/b',
      'mxc://example.org/',
      'mxc://example.org/x?access_token=t',
    ]) {
      expect(thumbnailOf(contentWith({ thumbnail_file: { ...file, url } })).source).toBeUndefined();
      expect(thumbnailOf(contentWith({ thumbnail_url: url })).source).toBeUndefined();
    }
  });

  it('refuses an SVG or an unknown type, and a thumbnail declared too large to be one', () => {
    const refused = (info: Record<string, unknown>) =>
      thumbnailOf(contentWith({ thumbnail_file: file, thumbnail_info: { ...thumbnailInfo, ...info } })).source;
    expect(refused({ mimetype: 'image/svg+xml' })).toBeUndefined();
    expect(refused({ mimetype: 'text/html' })).toBeUndefined();
    expect(refused({ mimetype: 42 })).toBeUndefined();
    expect(refused({ size: 50 * 1024 * 1024 })).toBeUndefined();
    expect(refused({ mimetype: 'image/png' })).toBeDefined();
  });

  it('a malformed thumbnail_file is no thumbnail, even beside a thumbnail_url', () => {
    const { source } = thumbnailOf(
      contentWith({ thumbnail_file: { ...file, v: 'v1' }, thumbnail_url: 'mxc://example.org/plain' }),
    );
    expect(source).toBeUndefined();
  });

  it('content without info, or with nonsense sizes, has no thumbnail and no size', () => {
    expect(thumbnailOf({ msgtype: 'm.file' })).toEqual({ source: undefined, width: undefined, height: undefined });
    expect(thumbnailOf(contentWith({ w: -3, h: 1.5 }))).toEqual({
      source: undefined,
      width: undefined,
      height: undefined,
    });
  });

  it('the same thumbnail under another key is another cache entry', () => {
    const one = thumbnailOf(contentWith({ thumbnail_file: file })).source!;
    const other = thumbnailOf(contentWith({ thumbnail_file: { ...file, key: { ...file.key, k: 'b3RoZXI' } } })).source!;
    expect(one.cacheKey).not.toBe(other.cacheKey);
    expect(thumbnailOf(contentWith({ thumbnail_file: file })).source!.cacheKey).toBe(one.cacheKey);
  });
});
