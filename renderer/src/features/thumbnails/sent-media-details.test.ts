import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import type { snapshotMedia, ThumbnailImage } from './media-snapshot';
import { createSentMediaDetails, snapshotKindOf, THUMBNAIL_DEADLINES } from './sent-media-details';
import type { UploadedThumbnail } from './thumbnail-content';
import type { ThumbnailUploadClient } from './thumbnail-upload';
import type { uploadThumbnail } from './thumbnail-upload';

const client = {} as ThumbnailUploadClient;
const sent = (filename: string, mimetype: string, size = 5_000_000) => ({
  transferId: 'transfer 1',
  content: {
    msgtype: 'm.video',
    body: filename,
    filename,
    file: {},
    info: { size, mimetype },
  } as unknown as FileMessageContent,
});
const image: ThumbnailImage = { blob: new Blob(['jpeg']), width: 800, height: 450, mimetype: 'image/jpeg' };
const uploaded: UploadedThumbnail = {
  location: { kind: 'plain', url: 'mxc://localhost/thumb' },
  width: 800,
  height: 450,
  mimetype: 'image/jpeg',
  size: 4,
};

type Snapshot = typeof snapshotMedia;
type Upload = typeof uploadThumbnail;
const never = () => new Promise<never>(() => undefined);

describe('what a send’s event learns of its media, under a deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(console, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('draws from the send’s own media URL, uploads, and gives the fields', async () => {
    const snapshot = vi.fn<Snapshot>(async (_kind, _url, _type, facts) => {
      Object.assign(facts, { w: 1920, h: 1080, duration: 21_000 });
      return image;
    });
    const upload = vi.fn<Upload>(async () => uploaded);
    const details = createSentMediaDetails({ mediaBaseUrl: 'slipstream-media://transfer/', snapshot, upload });
    expect(await details(client, '!room', sent('film 1.mp4', 'video/mp4'))).toEqual({
      w: 1920,
      h: 1080,
      duration: 21_000,
      thumbnail_info: { w: 800, h: 450, mimetype: 'image/jpeg', size: 4 },
      thumbnail_url: 'mxc://localhost/thumb',
    });
    expect(snapshot.mock.calls[0]!.slice(0, 3)).toEqual([
      'video',
      'slipstream-media://transfer/transfer%201/film%201.mp4',
      'video/mp4',
    ]);
    expect(upload).toHaveBeenCalledWith(client, '!room', image, expect.any(AbortSignal));
  });

  it('a thumbnail not drawn in time is left out; the size found before the deadline is kept', async () => {
    let signal: AbortSignal | undefined;
    const snapshot = vi.fn<Snapshot>((_kind, _url, _type, facts, given) => {
      Object.assign(facts, { w: 640, h: 360 });
      signal = given;
      return never();
    });
    const upload = vi.fn<Upload>();
    const details = createSentMediaDetails({ mediaBaseUrl: '/media/', snapshot, upload });
    const answer = details(client, '!room', sent('film.mp4', 'video/mp4'));
    await vi.advanceTimersByTimeAsync(THUMBNAIL_DEADLINES.drawMs);
    expect(await answer).toEqual({ w: 640, h: 360 });
    expect(upload).not.toHaveBeenCalled();
    expect(signal?.aborted).toBe(true);
  });

  it('an upload not done in time is abandoned, and the event goes without it', async () => {
    let signal: AbortSignal | undefined;
    const snapshot = vi.fn<Snapshot>(async (_kind, _url, _type, facts) => {
      facts.duration = 5000;
      return image;
    });
    const upload = vi.fn<Upload>((_client, _room, _image, given) => {
      signal = given;
      return never();
    });
    const details = createSentMediaDetails({ mediaBaseUrl: '/media/', snapshot, upload });
    const answer = details(client, '!room', sent('film.mp4', 'video/mp4'));
    await vi.advanceTimersByTimeAsync(THUMBNAIL_DEADLINES.totalMs - 1);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await answer).toEqual({ duration: 5000 });
    expect(signal?.aborted).toBe(true);
  });

  it('a failure costs the thumbnail, never the event', async () => {
    const snapshot = vi.fn<Snapshot>(async () => {
      throw new DOMException('The canvas has been tainted by cross-origin data.', 'SecurityError');
    });
    const details = createSentMediaDetails({ mediaBaseUrl: '/media/', snapshot });
    expect(await details(client, '!room', sent('film.mp4', 'video/mp4'))).toEqual({});
    expect(console.debug).toHaveBeenCalledWith('No thumbnail for film.mp4:', expect.any(DOMException));
  });

  it('other files are posted as they are, at once', async () => {
    const snapshot = vi.fn<Snapshot>();
    const details = createSentMediaDetails({ mediaBaseUrl: '/media/', snapshot });
    expect(await details(client, '!room', sent('report.pdf', 'application/pdf'))).toEqual({});
    expect(snapshot).not.toHaveBeenCalled();
  });
});

describe('which files get a thumbnail', () => {
  it('videos and images the browser draws; audio gets its duration only', () => {
    expect(snapshotKindOf('video/mp4', 'film.mp4', 1e10)).toBe('video');
    expect(snapshotKindOf('video/webm', 'film.webm', 1)).toBe('video');
    expect(snapshotKindOf('image/jpeg', 'photo.jpg', 1)).toBe('image');
    expect(snapshotKindOf('image/png', 'still.png', 1)).toBe('image');
    expect(snapshotKindOf('audio/ogg', 'take.ogg', 1)).toBe('audio');
  });

  it('not an SVG, an image too large to decode at once, a scene, or other files', () => {
    expect(snapshotKindOf('image/svg+xml', 'logo.svg', 1)).toBeUndefined();
    expect(snapshotKindOf('image/png', 'scan.png', 65 * 1024 * 1024)).toBeUndefined();
    expect(snapshotKindOf('image/tiff', 'scan.tiff', 1)).toBeUndefined();
    expect(snapshotKindOf('model/gltf-binary', 'scene.glb', 1)).toBeUndefined();
    expect(snapshotKindOf('application/octet-stream', 'disk.iso', 1)).toBeUndefined();
  });
});
