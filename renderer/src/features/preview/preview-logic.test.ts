import { describe, expect, it } from 'vitest';
import { arrivalWords, bufferedSpans, clockTime } from './arrival';
import { mediaKeyAction } from './media-keys';
import { MEDIA_ERROR, mediaProblem } from './media-problem';
import { mediaUrlOf, previewKindOf } from './preview-kind';

const ranges = (...pairs: [number, number][]) => ({
  length: pairs.length,
  start: (index: number) => pairs[index]![0],
  end: (index: number) => pairs[index]![1],
});

describe('previewKindOf', () => {
  it('previews what Chromium plays and draws, and glTF scenes by name whatever their type', () => {
    expect(previewKindOf('video/mp4', 'film.mp4')).toBe('video');
    expect(previewKindOf('video/webm; codecs=vp9', 'film.webm')).toBe('video');
    expect(previewKindOf('audio/ogg', 'talk.ogg')).toBe('audio');
    expect(previewKindOf('image/jpeg', 'photo.jpg')).toBe('image');
    expect(previewKindOf('IMAGE/PNG', 'photo.png')).toBe('image');
    expect(previewKindOf('application/octet-stream', 'scene.GLB')).toBe('scene');
    expect(previewKindOf('model/gltf+json', 'scene')).toBe('scene');
    expect(previewKindOf('image/tiff', 'scan.tiff')).toBe('none');
    expect(previewKindOf(undefined, 'notes.txt')).toBe('none');
  });

  it('builds the media URL with the id and name escaped', () => {
    expect(mediaUrlOf('/media/transfer/', 'Qb3k2m9x1LpZ', 'my film #1.mp4')).toBe(
      '/media/transfer/Qb3k2m9x1LpZ/my%20film%20%231.mp4',
    );
  });
});

describe('mediaKeyAction', () => {
  it('gives the keys of the players people know', () => {
    expect(mediaKeyAction({ key: ' ' }, true)).toEqual({ kind: 'toggle-play' });
    expect(mediaKeyAction({ key: 'K' }, true)).toEqual({ kind: 'toggle-play' });
    expect(mediaKeyAction({ key: 'ArrowRight' }, true)).toEqual({ kind: 'seek-by', seconds: 5 });
    expect(mediaKeyAction({ key: 'j' }, false)).toEqual({ kind: 'seek-by', seconds: -10 });
    expect(mediaKeyAction({ key: '8' }, true)).toEqual({ kind: 'seek-to-fraction', fraction: 0.8 });
    expect(mediaKeyAction({ key: 'End' }, true)).toEqual({ kind: 'seek-to-fraction', fraction: 1 });
    expect(mediaKeyAction({ key: 'f' }, true)).toEqual({ kind: 'toggle-fullscreen' });
    expect(mediaKeyAction({ key: 'p' }, true)).toEqual({ kind: 'toggle-picture-in-picture' });
  });

  it('leaves alone the system’s shortcuts, Space on a button, and video-only keys for audio', () => {
    expect(mediaKeyAction({ key: 'f', ctrlKey: true }, true)).toBeUndefined();
    expect(mediaKeyAction({ key: 'l', metaKey: true }, true)).toBeUndefined();
    expect(mediaKeyAction({ key: ' ', onControl: true }, true)).toBeUndefined();
    expect(mediaKeyAction({ key: 'f' }, false)).toBeUndefined();
    expect(mediaKeyAction({ key: 'p' }, false)).toBeUndefined();
    expect(mediaKeyAction({ key: 'Tab' }, true)).toBeUndefined();
  });
});

describe('mediaProblem', () => {
  it('says a format that cannot play is not one the app plays, and what to do instead', () => {
    const problem = mediaProblem('video', MEDIA_ERROR.unsupported, 'video/x-matroska', false);
    expect(problem.retry).toBe(false);
    expect(problem.words).toContain('(video/x-matroska)');
    expect(problem.words).toContain('Once it has arrived, open it in another app.');
    expect(mediaProblem('image', MEDIA_ERROR.unsupported, undefined, true).words).toMatch(
      /cannot be shown.*Open it in another app\./,
    );
  });

  it('tries again when the bytes stopped coming, not when the file is damaged', () => {
    expect(mediaProblem('video', MEDIA_ERROR.network, 'video/mp4', false).retry).toBe(true);
    expect(mediaProblem('audio', MEDIA_ERROR.decode, 'audio/ogg', true)).toEqual({
      words: 'This recording is damaged: the player could not decode it. Open it in another app.',
      retry: false,
    });
  });
});

describe('arrival', () => {
  it('turns buffered time ranges into merged fractions of the duration', () => {
    expect(bufferedSpans(ranges([0, 10], [10, 20], [80, 120]), 100)).toEqual([
      { start: 0, end: 0.2 },
      { start: 0.8, end: 1 },
    ]);
    expect(bufferedSpans(ranges([0, 10]), Number.NaN)).toEqual([]);
  });

  it('says what has arrived and what is ready to play', () => {
    expect(clockTime(5)).toBe('0:05');
    expect(clockTime(754)).toBe('12:34');
    expect(clockTime(3723)).toBe('1:02:03');
    expect(arrivalWords(0.456, [{ start: 0, end: 0.5 }], 120)).toBe('45 % of the file here · ready to play 0:00–1:00');
    expect(arrivalWords(undefined, [], Number.NaN)).toBe('');
  });
});
