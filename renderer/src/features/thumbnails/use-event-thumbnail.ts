import { useEffect, useMemo, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { useMatrix } from '../matrix/use-matrix';
import { downloadThumbnail, ThumbnailCache } from './thumbnail-download';
import { thumbnailOf } from './thumbnail-source';

/** A file event's thumbnail (`info.thumbnail_file`, v2-encrypted, or `info.thumbnail_url`), decrypted, as a blob: URL. */
export interface EventThumbnail {
  /** A blob: URL of the thumbnail's image, once downloaded and decrypted; undefined when there is none (yet). */
  readonly url: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** The thumbnails of this page, one cache per signed-in client (another account's never show). */
const caches = new WeakMap<MatrixClient, ThumbnailCache>();
const CACHED_THUMBNAILS = 200;

function cacheOf(client: MatrixClient): ThumbnailCache {
  let cache = caches.get(client);
  if (!cache) caches.set(client, (cache = new ThumbnailCache(CACHED_THUMBNAILS)));
  return cache;
}

/**
 * The thumbnail of a file event's content, shown at once while the file itself is still to come.
 * Each caller gets its own blob: URL of the cached image, revoked when it unmounts or the content
 * changes. A thumbnail that cannot be had (none, malformed, refused, a wrong hash) is simply absent.
 */
export function useEventThumbnail(content: Record<string, unknown>): EventThumbnail {
  const client = useMatrix((state) => state.client);
  const { source, width, height } = useMemo(() => thumbnailOf(content), [content]);
  const [shown, setShown] = useState<{ readonly key: string; readonly url: string }>();
  const key = source?.cacheKey;

  useEffect(() => {
    if (!client || !source) return;
    let objectUrl: string | undefined;
    let current = true;
    cacheOf(client)
      .get(source.cacheKey, () => downloadThumbnail(client, source))
      .then(
        (blob) => {
          if (!current) return;
          objectUrl = URL.createObjectURL(blob);
          setShown({ key: source.cacheKey, url: objectUrl });
        },
        (error: unknown) => console.debug('A thumbnail could not be shown:', error),
      );
    return () => {
      current = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setShown(undefined);
    };
    // The source is identified by its key: a new content object describing the same thumbnail keeps it.
  }, [client, key]);

  return { url: shown && shown.key === key ? shown.url : undefined, width, height };
}
