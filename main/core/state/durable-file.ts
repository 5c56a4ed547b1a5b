import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Flushes a file (or, where the platform allows, a directory) to stable storage. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or a new name in `directory` durable; not every platform can open a directory, which is fine. */
export async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot fsync a directory; the rename is still atomic there.
  await fsyncPath(directory).catch(() => undefined);
}

/**
 * Replaces `path` with `contents` so that after a crash it holds either the old or the new contents,
 * never a mixture or nothing: write a temporary beside it, fsync, rename over, fsync the directory.
 */
export async function writeFileAtomic(path: string, contents: string | Uint8Array, mode = 0o600): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}
