import { v2EncryptedFileSchema } from '../../../../shared/msc4016/encrypted-file';
import type { ThumbnailFile } from './thumbnail-content';

/*
 * Where a received file event's thumbnail is, read from content nobody vouches for: the sender wrote
 * it, and other clients write it their own way. Anything not as the spec says is no thumbnail.
 */

/** Larger thumbnails are refused: the spec's are a few hundred pixels; this bounds what one event can make the page fetch and hold. */
export const LARGEST_THUMBNAIL_BYTES = 10 * 1024 * 1024;

/**
 * Raster formats Chromium draws in <img>. SVG is left out: a thumbnail is a picture of the file, and
 * an SVG is a document that would be drawn from whatever it references.
 */
const THUMBNAIL_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/bmp']);

/** `mxc://<server name>/<media ID>`, with the characters the spec allows in each. */
const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

export type ThumbnailLocation =
  { readonly kind: 'encrypted'; readonly file: ThumbnailFile } | { readonly kind: 'plain'; readonly url: string };

export interface ThumbnailSource {
  readonly location: ThumbnailLocation;
  /** The blob's type: the one `thumbnail_info` gives when it is one of ours to draw, else none (the browser sniffs rasters only). */
  readonly mimetype: string | undefined;
  /** Identifies the bytes: the URL, and for an encrypted thumbnail the key, IV and hash that open it. */
  readonly cacheKey: string;
}

export interface ThumbnailDescription {
  readonly source: ThumbnailSource | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

type Fields = Record<string, unknown>;

const fieldsOf = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;

const pixels = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

function locationOf(info: Fields): ThumbnailLocation | undefined {
  if (info['thumbnail_file'] !== undefined) {
    // Only v2 (AES-CTR with the ciphertext's SHA-256): the hash is what proves the bytes are the sender's.
    const parsed = v2EncryptedFileSchema.safeParse(info['thumbnail_file']);
    if (!parsed.success || typeof parsed.data.url !== 'string' || !MXC.test(parsed.data.url)) return undefined;
    return { kind: 'encrypted', file: parsed.data as ThumbnailFile };
  }
  const url = info['thumbnail_url'];
  return typeof url === 'string' && MXC.test(url) ? { kind: 'plain', url } : undefined;
}

/**
 * The thumbnail a file event's content describes, and the size to show it at: `thumbnail_info`'s, or
 * the file's own `w` and `h` (the same shape). A malformed `thumbnail_file` is no thumbnail, even
 * beside a `thumbnail_url`: the event is not what any client would write.
 */
export function thumbnailOf(content: Record<string, unknown>): ThumbnailDescription {
  const info = fieldsOf(content['info']) ?? {};
  const thumbnailInfo = fieldsOf(info['thumbnail_info']) ?? {};
  const fromThumbnail = pixels(thumbnailInfo['w']) !== undefined && pixels(thumbnailInfo['h']) !== undefined;
  const width = fromThumbnail ? pixels(thumbnailInfo['w']) : pixels(info['w']);
  const height = fromThumbnail ? pixels(thumbnailInfo['h']) : pixels(info['h']);
  const location = locationOf(info);
  const declaredType = thumbnailInfo['mimetype'];
  const declaredSize = thumbnailInfo['size'];
  const refused =
    !location ||
    (declaredType !== undefined && (typeof declaredType !== 'string' || !THUMBNAIL_TYPES.has(declaredType))) ||
    (typeof declaredSize === 'number' && declaredSize > LARGEST_THUMBNAIL_BYTES);
  if (refused) return { source: undefined, width, height };
  const cacheKey =
    location.kind === 'encrypted'
      ? [location.file.url, location.file.key.k, location.file.iv, location.file.hashes.sha256].join(' ')
      : location.url;
  return {
    source: { location, mimetype: declaredType as string | undefined, cacheKey },
    width,
    height,
  };
}
