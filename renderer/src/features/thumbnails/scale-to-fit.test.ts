import { describe, expect, it } from 'vitest';
import { scaleToFit, THUMBNAIL_BOX } from './scale-to-fit';

describe('a thumbnail’s size', () => {
  it('fits 800×600, keeping the aspect ratio', () => {
    expect(THUMBNAIL_BOX).toEqual({ width: 800, height: 600 });
    expect(scaleToFit({ width: 1920, height: 1080 })).toEqual({ width: 800, height: 450 });
    expect(scaleToFit({ width: 3024, height: 4032 })).toEqual({ width: 450, height: 600 });
    expect(scaleToFit({ width: 4000, height: 3000 })).toEqual({ width: 800, height: 600 });
  });

  it('never enlarges a small picture', () => {
    expect(scaleToFit({ width: 640, height: 360 })).toEqual({ width: 640, height: 360 });
    expect(scaleToFit({ width: 1, height: 1 })).toEqual({ width: 1, height: 1 });
  });

  it('keeps at least one pixel each way, and refuses a picture with no size', () => {
    expect(scaleToFit({ width: 10_000, height: 1 })).toEqual({ width: 800, height: 1 });
    expect(scaleToFit({ width: 1920, height: 1080 }, { width: 64, height: 64 })).toEqual({ width: 64, height: 36 });
    expect(() => scaleToFit({ width: 0, height: 10 })).toThrow(RangeError);
    expect(() => scaleToFit({ width: Number.NaN, height: 10 })).toThrow(RangeError);
  });
});
