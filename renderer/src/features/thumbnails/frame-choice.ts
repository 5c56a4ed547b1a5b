/*
 * Which video frame becomes a thumbnail: the first one, among a few seek times, that is not black.
 * Films and screen recordings often open on black (a fade-in, a title card's lead-in, the second
 * before a capture starts); a black poster tells a viewer nothing.
 */

/**
 * A frame whose mean luma (Rec. 601, 0–255) is below this is black. Decoded "black" is 0–16
 * (limited-range video's black level plus noise); 24 leaves room for compression noise and a faint
 * logo, and still accepts dark but real scenes (a night shot averages 30 and more).
 */
export const BLACK_LUMA_THRESHOLD = 24;

/** At most this many seeks: each costs a decode, and the whole choice must fit the thumbnail's deadline. */
const MAX_CANDIDATES = 7;

/** Mean luma of RGBA pixels (a canvas's `ImageData.data`), 0–255; alpha is ignored. */
export function meanLuma(rgba: Uint8ClampedArray): number {
  const pixels = Math.floor(rgba.length / 4);
  if (pixels === 0) return 0;
  let sum = 0;
  for (let offset = 0; offset < pixels * 4; offset += 4)
    sum += 0.299 * rgba[offset]! + 0.587 * rgba[offset + 1]! + 0.114 * rgba[offset + 2]!;
  return sum / pixels;
}

export function isBlackFrame(rgba: Uint8ClampedArray): boolean {
  return meanLuma(rgba) < BLACK_LUMA_THRESHOLD;
}

/**
 * The times (seconds, ascending) to look at for a frame that is not black: the start, the first
 * seconds (where a black lead-in ends), then a tenth, a quarter and half of the video (a long
 * black opening). Times past the end are left out; an unknown or endless duration gives the first
 * seconds only.
 */
export function seekCandidates(durationSeconds: number): number[] {
  const known = Number.isFinite(durationSeconds) && durationSeconds > 0;
  const early = [0, 1, 2, 5];
  const proportional = known ? [0.1, 0.25, 0.5].map((part) => part * durationSeconds) : [];
  const times = [...early, ...proportional]
    .filter((time) => !known || time < durationSeconds)
    .map((time) => Math.round(time * 1000) / 1000);
  return [...new Set(times)].sort((a, b) => a - b).slice(0, MAX_CANDIDATES);
}

/** What was seen at one seek time. */
export interface FrameSample {
  readonly time: number;
  readonly luma: number;
}

/**
 * The frame to keep from those seen so far: the first that is not black, else the brightest (a video
 * that is dark all through, or a deadline reached before a bright frame). `done` says to stop seeking.
 */
export function chooseFrame(samples: readonly FrameSample[]): {
  readonly chosen: FrameSample | undefined;
  readonly done: boolean;
} {
  const bright = samples.find((sample) => sample.luma >= BLACK_LUMA_THRESHOLD);
  if (bright) return { chosen: bright, done: true };
  const brightest = samples.reduce<FrameSample | undefined>(
    (best, sample) => (best === undefined || sample.luma > best.luma ? sample : best),
    undefined,
  );
  return { chosen: brightest, done: false };
}
