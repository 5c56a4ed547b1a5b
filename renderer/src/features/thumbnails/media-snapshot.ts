import { chooseFrame, type FrameSample, meanLuma, seekCandidates } from './frame-choice';
import { type PixelSize, scaleToFit } from './scale-to-fit';
import type { MediaFacts } from './thumbnail-content';

/*
 * A sent file's thumbnail, drawn by the browser from the file's plaintext at its media URL (the media
 * handler serves a send's own file with Range), so nothing here holds the file: a <video> reads what
 * it needs to decode a few frames, an <img> the image. Cross-origin reads (Electron's media scheme) are
 * drawn with CORS, or the canvas could not be exported.
 */

/** A thumbnail drawn and encoded, before upload. */
export interface ThumbnailImage {
  readonly blob: Blob;
  readonly width: number;
  readonly height: number;
  readonly mimetype: string;
}

export type SnapshotKind = 'video' | 'image' | 'audio';

/** Element's JPEG quality for thumbnails: small (tens of KB at 800×600) and clean enough for a poster. */
const JPEG_QUALITY = 0.8;
/** The frame-choice canvas: enough pixels for a mean, few enough to read back in well under a millisecond. */
const PROBE_BOX: PixelSize = { width: 64, height: 64 };
/** Seeking stops this long before the deadline, so the chosen frame can still be encoded. */
const ENCODE_RESERVE_MS = 250;

/**
 * Draws the thumbnail of the media at `url` and fills `facts` (size, duration) as soon as each is known,
 * so whatever `signal` interrupts keeps what was learnt. `stopSeekingAt` (a `performance.now()` time)
 * ends the search for a bright video frame early enough to encode the best one seen. Audio gets facts only.
 */
export async function snapshotMedia(
  kind: SnapshotKind,
  url: string,
  mimetype: string,
  facts: MediaFacts,
  signal: AbortSignal,
  stopSeekingAt: number,
): Promise<ThumbnailImage | undefined> {
  signal.throwIfAborted();
  if (kind === 'audio') {
    await readAudioDuration(url, facts, signal);
    return undefined;
  }
  if (kind === 'image') return snapshotImage(url, mimetype, facts, signal);
  return snapshotVideo(url, facts, signal, stopSeekingAt - ENCODE_RESERVE_MS);
}

/** Resolves on `type`, rejects on the element's `error` or on `signal`. */
function nextEvent(target: HTMLMediaElement, type: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      target.removeEventListener(type, onEvent);
      target.removeEventListener('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onEvent = () => {
      done();
      resolve();
    };
    const onError = () => {
      done();
      reject(new Error(target.error?.message || `the browser could not read it (media error ${target.error?.code})`));
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    target.addEventListener(type, onEvent);
    target.addEventListener('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}

/** `work`, or undefined once `ms` have passed. */
function orGiveUpAfter<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return Promise.resolve(undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const giveUp = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work, giveUp]).finally(() => clearTimeout(timer));
}

/** Stops the element's loading, so an abandoned snapshot reads nothing more. */
function release(element: HTMLMediaElement | HTMLImageElement): void {
  element.removeAttribute('src');
  if ('load' in element) element.load();
}

function canvasOf(size: PixelSize, options?: CanvasRenderingContext2DSettings) {
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext('2d', options);
  if (!context) throw new Error('no 2D canvas');
  context.imageSmoothingQuality = 'high';
  return { canvas, context };
}

function encode(canvas: HTMLCanvasElement, mimetype: string): Promise<ThumbnailImage> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) =>
        blob
          ? resolve({ blob, width: canvas.width, height: canvas.height, mimetype })
          : reject(new Error('the thumbnail could not be encoded')),
      mimetype,
      JPEG_QUALITY,
    ),
  );
}

async function readAudioDuration(url: string, facts: MediaFacts, signal: AbortSignal): Promise<void> {
  const audio = document.createElement('audio');
  audio.preload = 'metadata';
  audio.muted = true;
  const loaded = nextEvent(audio, 'loadedmetadata', signal);
  audio.src = url;
  try {
    await loaded;
    facts.duration = audio.duration * 1000;
  } finally {
    release(audio);
  }
}

/**
 * An image drawn whole into the thumbnail box: JPEG stays JPEG; everything else becomes PNG, which
 * keeps an alpha channel PNG, WebP, GIF or AVIF may have (JPEG would turn transparency black).
 */
async function snapshotImage(
  url: string,
  mimetype: string,
  facts: MediaFacts,
  signal: AbortSignal,
): Promise<ThumbnailImage> {
  const image = document.createElement('img');
  image.crossOrigin = 'anonymous';
  image.decoding = 'async';
  const stop = () => release(image);
  signal.addEventListener('abort', stop);
  image.src = url;
  try {
    // An abort clears src, which makes decode() reject.
    await image.decode();
    signal.throwIfAborted();
    facts.w = image.naturalWidth;
    facts.h = image.naturalHeight;
    const { canvas, context } = canvasOf(scaleToFit({ width: image.naturalWidth, height: image.naturalHeight }));
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await encode(canvas, mimetype === 'image/jpeg' ? 'image/jpeg' : 'image/png');
  } finally {
    signal.removeEventListener('abort', stop);
    stop();
  }
}

/**
 * The first frame that is not black among a few seek times (frame-choice.ts), drawn into the
 * thumbnail box as JPEG. Each candidate is measured on a tiny canvas; only a better one is drawn at
 * full size. At `stopSeekingAt` the best frame seen so far is kept.
 */
async function snapshotVideo(
  url: string,
  facts: MediaFacts,
  signal: AbortSignal,
  stopSeekingAt: number,
): Promise<ThumbnailImage | undefined> {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.crossOrigin = 'anonymous';
  const firstFrame = nextEvent(video, 'loadeddata', signal);
  video.src = url;
  try {
    await firstFrame;
    if (Number.isFinite(video.duration)) facts.duration = video.duration * 1000;
    // An audio-only file in a video container has no picture to draw.
    if (!video.videoWidth || !video.videoHeight) return undefined;
    facts.w = video.videoWidth;
    facts.h = video.videoHeight;
    const source = { width: video.videoWidth, height: video.videoHeight };
    const probe = canvasOf(scaleToFit(source, PROBE_BOX), { willReadFrequently: true });
    const thumbnail = canvasOf(scaleToFit(source));
    const samples: FrameSample[] = [];
    for (const time of seekCandidates(video.duration)) {
      if (time !== video.currentTime) {
        video.currentTime = time;
        const seeked = await orGiveUpAfter(
          nextEvent(video, 'seeked', signal).then(() => true),
          stopSeekingAt - performance.now(),
        );
        if (!seeked) break;
      }
      probe.context.drawImage(video, 0, 0, probe.canvas.width, probe.canvas.height);
      const luma = meanLuma(probe.context.getImageData(0, 0, probe.canvas.width, probe.canvas.height).data);
      samples.push({ time, luma });
      const { chosen, done } = chooseFrame(samples);
      if (chosen?.time === time)
        thumbnail.context.drawImage(video, 0, 0, thumbnail.canvas.width, thumbnail.canvas.height);
      if (done || performance.now() >= stopSeekingAt) break;
    }
    if (samples.length === 0) return undefined;
    return await encode(thumbnail.canvas, 'image/jpeg');
  } finally {
    release(video);
  }
}
