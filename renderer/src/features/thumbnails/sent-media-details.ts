import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import { mediaUrlOf, previewKindOf } from '../preview/preview-kind';
import { snapshotMedia, type SnapshotKind } from './media-snapshot';
import { type MediaFacts, type MediaInfoFields, mediaInfoFields } from './thumbnail-content';
import { uploadThumbnail, type ThumbnailUploadClient } from './thumbnail-upload';

/*
 * What a sent file's event says of its media (docs/PROTOCOL.md, thumbnails): found while the event
 * waits for its room to be ready, under a deadline, because the event is what lets receivers start —
 * a thumbnail that is late is left out rather than holding everyone back.
 */

/**
 * How long the event waits. Drawing gets 1.5 s: on a local file a video's metadata, a few seeks and a
 * JPEG take 0.1–0.5 s, and an image up to tens of megapixels decodes within it; a file the browser is
 * slow to decode gives up its thumbnail, not its receivers' time. Uploading gets what is left of 2 s
 * (a thumbnail is tens of KB). The sizes and duration found before a deadline are posted all the same.
 */
export const THUMBNAIL_DEADLINES = { drawMs: 1500, totalMs: 2000 } as const;

/**
 * Images above this are not drawn: the browser decodes an image whole, so a huge one would take the
 * renderer's memory and miss the deadline anyway.
 */
const LARGEST_IMAGE_BYTES = 64 * 1024 * 1024;

export type SentMediaDetails = (
  client: ThumbnailUploadClient,
  roomId: string,
  sent: { readonly transferId: string; readonly content: FileMessageContent },
) => Promise<MediaInfoFields>;

export interface SentMediaDependencies {
  /** `AppInfo.mediaBaseUrl`: where the renderer reads a transfer's plaintext. */
  readonly mediaBaseUrl: string;
  readonly snapshot?: typeof snapshotMedia;
  readonly upload?: typeof uploadThumbnail;
  readonly deadlines?: { readonly drawMs: number; readonly totalMs: number };
}

/** Which media reading a file gets: images the browser draws (not SVG, not huge ones), videos, audio. */
export function snapshotKindOf(mimetype: string, fileName: string, size: number): SnapshotKind | undefined {
  const kind = previewKindOf(mimetype, fileName);
  if (kind === 'video' || kind === 'audio') return kind;
  // An SVG has no pixels of its own to thumbnail, and may be drawn at any size by every client.
  if (kind === 'image' && !/svg/i.test(mimetype) && size <= LARGEST_IMAGE_BYTES) return 'image';
  return undefined;
}

/** `work`'s answer, or undefined once `signal` aborts. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return Promise.race([
    work,
    new Promise<undefined>((resolve) => {
      if (signal.aborted) resolve(undefined);
      else signal.addEventListener('abort', () => resolve(undefined), { once: true });
    }),
  ]);
}

/**
 * The details of one send's media. Never fails and never takes longer than its deadline: whatever
 * goes wrong (a format the browser cannot decode, a canvas it may not read, an upload refused) costs
 * the thumbnail, never the event.
 */
export function createSentMediaDetails({
  mediaBaseUrl,
  snapshot = snapshotMedia,
  upload = uploadThumbnail,
  deadlines = THUMBNAIL_DEADLINES,
}: SentMediaDependencies): SentMediaDetails {
  return async (client, roomId, { transferId, content }) => {
    const kind = snapshotKindOf(content.info.mimetype, content.filename, content.info.size);
    if (!kind) return {};
    const started = performance.now();
    const facts: MediaFacts = {};
    const drawing = new AbortController();
    const whole = new AbortController();
    const drawTimer = setTimeout(() => drawing.abort(new Error('no thumbnail in time')), deadlines.drawMs);
    const wholeTimer = setTimeout(() => whole.abort(new Error('no thumbnail in time')), deadlines.totalMs);
    try {
      const url = mediaUrlOf(mediaBaseUrl, transferId, content.filename);
      const stopSeekingAt = performance.now() + deadlines.drawMs;
      const work = snapshot(kind, url, content.info.mimetype, facts, drawing.signal, stopSeekingAt);
      const image = await unlessAborted(work, drawing.signal);
      const drawn = performance.now();
      const uploaded = image && (await unlessAborted(upload(client, roomId, image, whole.signal), whole.signal));
      console.debug(
        `${content.filename}: read in ${Math.round(drawn - started)} ms, ` +
          (uploaded ? `thumbnail uploaded in ${Math.round(performance.now() - drawn)} ms` : 'no thumbnail'),
      );
      return mediaInfoFields(facts, uploaded);
    } catch (error) {
      console.debug(`No thumbnail for ${content.filename}:`, error);
      return mediaInfoFields(facts);
    } finally {
      clearTimeout(drawTimer);
      clearTimeout(wholeTimer);
      drawing.abort();
      whole.abort();
    }
  };
}
