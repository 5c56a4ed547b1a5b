import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * Videos for the preview tests and benchmarks, made with Debian's ffmpeg from its own test sources
 * (a moving test pattern with a running clock, and a tone). Each is kept in .cache/test-media under a
 * name derived from how it was made, so a second run — or a second test file — does not encode it again.
 */

const run = promisify(execFile);
const CACHE = join(import.meta.dirname, '..', '..', '.cache', 'test-media');

export interface VideoRecipe {
  readonly container: 'mp4' | 'webm' | 'avi';
  readonly seconds: number;
  readonly width: number;
  readonly height: number;
  /** Video bits per second; the MP4 is padded to it (constant rate), so its size is predictable. */
  readonly bitrate: number;
}

/** H.264/AAC with the moov atom first; VP9/Opus with the cues first (both play while they arrive); MPEG-4 part 2 in AVI (Chromium plays neither). */
function ffmpegArguments(recipe: VideoRecipe, output: string): string[] {
  const { seconds, width, height, bitrate } = recipe;
  const inputs = [
    ...['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=30:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
  ];
  const rate = String(bitrate);
  switch (recipe.container) {
    case 'mp4':
      return [
        ...inputs,
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '60'],
        ...['-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', String(bitrate / 2)],
        ...['-x264-params', 'nal-hrd=cbr:force-cfr=1'],
        ...['-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', output],
      ];
    case 'webm':
      return [
        ...inputs,
        ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-g', '60'],
        ...['-b:v', rate, '-c:a', 'libopus', '-b:a', '96k', '-cues_to_front', '1', output],
      ];
    case 'avi':
      return [...inputs, '-c:v', 'mpeg4', '-b:v', rate, '-c:a', 'mp2', output];
  }
}

/** A video made to `recipe`, from the cache when it was made before; returns its path. */
export async function testVideo(recipe: VideoRecipe): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
  const path = join(
    CACHE,
    `${recipe.container}-${recipe.seconds}s-${recipe.width}x${recipe.height}-${key}.${recipe.container}`,
  );
  if (
    await stat(path).then(
      (found) => found.size > 0,
      () => false,
    )
  )
    return path;
  await mkdir(CACHE, { recursive: true });
  // Encoded under another name and renamed when whole: an interrupted run leaves no half video behind.
  const partial = `${path}.partial.${recipe.container}`;
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...ffmpegArguments(recipe, partial)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  await rename(partial, path);
  return path;
}

/** A recording: a tone in AAC, in an M4A with its index first (plays while it arrives); returns its path. */
export async function testRecording(seconds: number): Promise<string> {
  const path = join(CACHE, `recording-${seconds}s.m4a`);
  if (
    await stat(path).then(
      (found) => found.size > 0,
      () => false,
    )
  )
    return path;
  await mkdir(CACHE, { recursive: true });
  const partial = `${path}.partial.m4a`;
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=48000:duration=${seconds}`],
    ...['-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', partial],
  ]);
  await rename(partial, path);
  return path;
}

/** The duration in seconds ffprobe reads from a file's container. */
export async function durationOf(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}
