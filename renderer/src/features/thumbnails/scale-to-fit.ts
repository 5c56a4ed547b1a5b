/** A size in pixels. */
export interface PixelSize {
  readonly width: number;
  readonly height: number;
}

/** The bounding box Element uses for thumbnails (ContentMessages.ts), so both look the same beside each other. */
export const THUMBNAIL_BOX: PixelSize = { width: 800, height: 600 };

/**
 * The size `source` is drawn at to fit inside `box`, keeping its aspect ratio: never enlarged, whole
 * pixels, at least one pixel each way (a 10000×1 banner still gets a drawable canvas).
 */
export function scaleToFit(source: PixelSize, box: PixelSize = THUMBNAIL_BOX): PixelSize {
  if (!(source.width > 0 && source.height > 0)) throw new RangeError('a source to scale has a positive size');
  const scale = Math.min(1, box.width / source.width, box.height / source.height);
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}
