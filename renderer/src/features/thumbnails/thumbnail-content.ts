import type { V2EncryptedFile } from '../../../../shared/msc4016/encrypted-file';

/*
 * What a file event says about its media beside `size` and `mimetype`, in the Matrix spec's `info`
 * fields for m.image and m.video (which Element reads): the picture's size, the playing time, and a
 * thumbnail — `thumbnail_file` (v2-encrypted) in encrypted rooms, `thumbnail_url` in the others,
 * with `thumbnail_info`.
 */

/** What the app learnt of a file it sends, as the spec's units: pixels, and whole milliseconds. */
export interface MediaFacts {
  w?: number;
  h?: number;
  duration?: number;
}

/** A v2 `file` block for a thumbnail: a thumbnail is useless without its URL. */
export type ThumbnailFile = V2EncryptedFile & { readonly url: string };

/** A thumbnail once uploaded: where it is, and what it is. */
export interface UploadedThumbnail {
  readonly location:
    { readonly kind: 'encrypted'; readonly file: ThumbnailFile } | { readonly kind: 'plain'; readonly url: string };
  readonly width: number;
  readonly height: number;
  readonly mimetype: string;
  readonly size: number;
}

/** The `info` fields a sent file event gets from its media, merged beside the engine's size and mimetype. */
export interface MediaInfoFields {
  readonly w?: number;
  readonly h?: number;
  readonly duration?: number;
  readonly thumbnail_info?: {
    readonly w: number;
    readonly h: number;
    readonly mimetype: string;
    readonly size: number;
  };
  readonly thumbnail_file?: ThumbnailFile;
  readonly thumbnail_url?: string;
}

const isPositiveWhole = (value: number | undefined): value is number =>
  value !== undefined && Number.isInteger(value) && value > 0;

/**
 * The fields for what is known: a size only with both sides, a duration only when finite (a stream
 * whose length the browser cannot tell reports Infinity), a thumbnail only with its info.
 */
export function mediaInfoFields(facts: MediaFacts, thumbnail?: UploadedThumbnail): MediaInfoFields {
  const fields: { -readonly [Key in keyof MediaInfoFields]: MediaInfoFields[Key] } = {};
  if (isPositiveWhole(facts.w) && isPositiveWhole(facts.h)) {
    fields.w = facts.w;
    fields.h = facts.h;
  }
  if (facts.duration !== undefined && Number.isFinite(facts.duration) && facts.duration >= 0)
    fields.duration = Math.round(facts.duration);
  if (thumbnail) {
    fields.thumbnail_info = {
      w: thumbnail.width,
      h: thumbnail.height,
      mimetype: thumbnail.mimetype,
      size: thumbnail.size,
    };
    if (thumbnail.location.kind === 'encrypted') fields.thumbnail_file = thumbnail.location.file;
    else fields.thumbnail_url = thumbnail.location.url;
  }
  return fields;
}
