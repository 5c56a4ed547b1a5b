import { describe, expect, it } from 'vitest';
import { BLACK_LUMA_THRESHOLD, chooseFrame, isBlackFrame, meanLuma, seekCandidates } from './frame-choice';

/** RGBA pixels, every one `[r, g, b]`, or made by `pixel(index)`. */
function frame(count: number, pixel: [number, number, number] | ((index: number) => [number, number, number])) {
  const rgba = new Uint8ClampedArray(count * 4);
  for (let index = 0; index < count; index++) {
    const [r, g, b] = typeof pixel === 'function' ? pixel(index) : pixel;
    rgba.set([r, g, b, 255], index * 4);
  }
  return rgba;
}

describe('choosing a video frame that is not black', () => {
  it('measures the mean luma with Rec. 601 weights, ignoring alpha', () => {
    expect(meanLuma(frame(16, [0, 0, 0]))).toBe(0);
    expect(meanLuma(frame(16, [255, 255, 255]))).toBeCloseTo(255);
    expect(meanLuma(frame(4, [0, 255, 0]))).toBeGreaterThan(meanLuma(frame(4, [0, 0, 255])));
    expect(meanLuma(frame(2, (index) => (index === 0 ? [0, 0, 0] : [200, 200, 200])))).toBeCloseTo(100);
    expect(meanLuma(new Uint8ClampedArray(0))).toBe(0);
  });

  it('calls decoded black with compression noise black, and a test pattern or a dark scene not', () => {
    expect(isBlackFrame(frame(64, (index) => [index % 7, index % 5, index % 3]))).toBe(true);
    expect(isBlackFrame(frame(64, [16, 16, 16]))).toBe(true);
    const bars: [number, number, number][] = [
      [255, 255, 255],
      [255, 255, 0],
      [0, 255, 255],
      [0, 255, 0],
      [255, 0, 255],
      [255, 0, 0],
      [0, 0, 255],
    ];
    expect(isBlackFrame(frame(70, (index) => bars[index % 7]!))).toBe(false);
    expect(isBlackFrame(frame(64, [35, 30, 45]))).toBe(false);
  });

  it('a black frame with a small title is still black: a later frame says more', () => {
    expect(isBlackFrame(frame(100, (index) => (index < 5 ? [255, 255, 255] : [0, 0, 0])))).toBe(true);
  });

  it('looks at the start, the first seconds, then a tenth, a quarter and half of the video', () => {
    expect(seekCandidates(60)).toEqual([0, 1, 2, 5, 6, 15, 30]);
    expect(seekCandidates(7200)).toEqual([0, 1, 2, 5, 720, 1800, 3600]);
    expect(seekCandidates(10)).toEqual([0, 1, 2, 2.5, 5]);
  });

  it('never seeks past the end, and knows only the first seconds of a video of unknown length', () => {
    expect(seekCandidates(0.5)).toEqual([0, 0.05, 0.125, 0.25]);
    for (const duration of [0.04, 3, 11.7, 86_400]) {
      const times = seekCandidates(duration);
      expect(times.every((time) => time >= 0 && time < duration)).toBe(true);
      expect(times.length).toBeLessThanOrEqual(7);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }
    expect(seekCandidates(Number.POSITIVE_INFINITY)).toEqual([0, 1, 2, 5]);
    expect(seekCandidates(Number.NaN)).toEqual([0, 1, 2, 5]);
  });

  it('keeps the first frame that is not black, even if a later one is brighter', () => {
    const dark = { time: 0, luma: 3 };
    const first = { time: 1, luma: BLACK_LUMA_THRESHOLD + 1 };
    expect(chooseFrame([dark, first, { time: 2, luma: 200 }])).toEqual({ chosen: first, done: true });
  });

  it('among black frames only, keeps the brightest and goes on looking', () => {
    expect(chooseFrame([])).toEqual({ chosen: undefined, done: false });
    expect(
      chooseFrame([
        { time: 0, luma: 2 },
        { time: 1, luma: 9 },
        { time: 2, luma: 4 },
      ]),
    ).toEqual({ chosen: { time: 1, luma: 9 }, done: false });
  });
});
