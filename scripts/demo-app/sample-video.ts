import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SAMPLE_VIDEO_NAME = 'slipstream-sample.mp4';
/** Long enough to seek around in, big enough (about 30 MB) that streaming it shows. */
export const SAMPLE_VIDEO_SECONDS = 40;

/**
 * The demo's sample video, made once with ffmpeg and reused: a moving test pattern with a clock and a
 * 440 Hz tone, H.264/AAC in an MP4 whose index comes first (`+faststart`), so a player can start
 * before the rest has arrived. Written under a temporary name and renamed, so a half-made file is
 * never reused. Calls `onMaking` before making it; returns its path and whether it was made now.
 */
export async function ensureSampleVideo(
  folder: string,
  onMaking: () => void = () => undefined,
): Promise<{ path: string; made: boolean }> {
  const path = join(folder, SAMPLE_VIDEO_NAME);
  if ((await stat(path).catch(() => undefined))?.isFile()) return { path, made: false };
  onMaking();
  await mkdir(folder, { recursive: true });
  const partial = join(folder, `.${SAMPLE_VIDEO_NAME}.${process.pid}.part`);
  const seconds = String(SAMPLE_VIDEO_SECONDS);
  try {
    await run(
      'ffmpeg',
      // prettier-ignore
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
        '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds}`,
        '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
        '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
        '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k',
        '-movflags', '+faststart', '-shortest', '-f', 'mp4', partial,
      ],
      { timeout: 300_000 },
    );
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('ffmpeg is not installed: `npm run demo` installs it, or: sudo apt-get install ffmpeg', {
        cause: error,
      });
    }
    throw new Error(`ffmpeg could not make the sample video: ${(error as { stderr?: string }).stderr ?? error}`, {
      cause: error,
    });
  }
  return { path, made: true };
}
