import { once } from 'node:events';
import type sharpFactory from 'sharp';
import type { Sharp } from 'sharp';
import { ConcurrencyLimit } from '../concurrency-limit.js';
import type { MediaStore, MediaRecord } from '../storage/media-store.js';
import type { ThumbnailSize } from './thumbnail-size.js';

/*
 * Thumbnails of unencrypted images stored here, so that clients which show previews (as every Matrix
 * client does for m.image) lose nothing when this server takes over the media paths. Encrypted media is
 * application/octet-stream to the server and is never thumbnailed; its previews travel encrypted in the
 * event (`info.thumbnail_file`).
 *
 * Rendering is bounded: one image at a time, inputs up to MAX_INPUT_BYTES and MAX_INPUT_PIXELS (a small
 * file can declare a huge canvas), libvips' operation cache off (it would keep up to 50 MB), and the
 * results of the last few requests kept in a small byte-bounded cache.
 */

/** Decoded by libvips from these types only: no SVG (it can reference other files), no TIFF or HEIF. */
const THUMBNAILABLE = /^image\/(jpeg|png|gif|webp)$/i;
const MAX_INPUT_BYTES = 64 * 2 ** 20;
const MAX_INPUT_PIXELS = 50_000_000;
const CACHE_BYTES = 4 * 2 ** 20;

/**
 * libvips is loaded on the first thumbnail, not at start: it adds about 12 MB to the resident memory of
 * a server that may never be asked for one (its uploads are mostly encrypted).
 */
let libvips: Promise<typeof sharpFactory> | undefined;
function loadSharp(): Promise<typeof sharpFactory> {
  libvips ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return libvips;
}

export interface Thumbnail {
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly bytes: Buffer;
}

export class ThumbnailUnavailable extends Error {
  override name = 'ThumbnailUnavailable';
}

/** Whether media of this type and size can have thumbnails here. */
export function isThumbnailable(record: MediaRecord): boolean {
  return THUMBNAILABLE.test(record.contentType ?? '') && record.uploadOffset <= MAX_INPUT_BYTES;
}

export class Thumbnailer {
  private readonly rendering = new ConcurrencyLimit(1);
  private readonly cache = new Map<string, Thumbnail>();
  private cachedBytes = 0;

  constructor(private readonly store: MediaStore) {}

  /** The thumbnail of complete, thumbnailable media; ThumbnailUnavailable when it cannot be decoded. */
  async thumbnail(record: MediaRecord, size: ThumbnailSize): Promise<Thumbnail> {
    const key = `${record.serverName}/${record.mediaId}/${size.width}x${size.height}/${size.method}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Most recently used last: the Map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const thumbnail = await this.rendering.run(() => this.render(record, size));
    this.remember(key, thumbnail);
    return thumbnail;
  }

  private async render(record: MediaRecord, size: ThumbnailSize): Promise<Thumbnail> {
    // JPEG stays JPEG (photographs); everything else becomes PNG, which keeps transparency.
    const contentType = /^image\/jpeg$/i.test(record.contentType ?? '') ? 'image/jpeg' : 'image/png';
    const sharp = await loadSharp();
    const input: Sharp = sharp({ limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, failOn: 'error' })
      // Orientation from EXIF first, so a portrait photograph is not thumbnailed lying on its side.
      .autoOrient()
      .resize(size.width, size.height, {
        fit: size.method === 'crop' ? 'cover' : 'inside',
        // The spec: a server should not upscale; a small image is returned at its own size.
        withoutEnlargement: true,
      });
    const output = contentType === 'image/jpeg' ? input.jpeg({ quality: 80 }) : input.png();
    const source = this.store.readRange(record, 0, record.uploadOffset);
    const feeding = (async () => {
      for await (const chunk of source) {
        // once() rejects if the decoder fails meanwhile, which ends the loop and closes the file.
        if (!output.write(chunk)) await once(output, 'drain');
      }
      output.end();
    })();
    try {
      const [bytes] = await Promise.all([output.toBuffer(), feeding]);
      return { contentType, bytes };
    } catch (error) {
      output.destroy();
      throw new ThumbnailUnavailable(`this media cannot be thumbnailed: ${(error as Error).message}`);
    }
  }

  private remember(key: string, thumbnail: Thumbnail): void {
    if (thumbnail.bytes.length > CACHE_BYTES / 4) return;
    this.cache.set(key, thumbnail);
    this.cachedBytes += thumbnail.bytes.length;
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cachedBytes -= entry.bytes.length;
    }
  }
}
