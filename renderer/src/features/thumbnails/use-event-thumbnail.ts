/** A file event's thumbnail (`info.thumbnail_file`, v2-encrypted, or `info.thumbnail_url`), decrypted, as a blob: URL. */
export interface EventThumbnail {
  /** A blob: URL of the thumbnail's image, once downloaded and decrypted; undefined when there is none (yet). */
  readonly url: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** Placeholder until thumbnails land (issue 18): no event has one. */
export function useEventThumbnail(_content: Record<string, unknown>): EventThumbnail {
  return { url: undefined, width: undefined, height: undefined };
}
