import { constants } from 'node:fs';
import { copyFile, link, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { numberedFileName } from '../../../shared/transfer/safe-file-name.js';
import { syncDirectory } from '../state/durable-file.js';

/** The hidden name a receive writes to until every byte is authenticated. */
export function partialPathOf(destinationDir: string, transferId: string): string {
  return join(destinationDir, `.slipstream-${transferId}.part`);
}

/** Removes a receive's partial file: after a failure or a cancel, its bytes are of no use to anyone. */
export async function discardPartial(record: { readonly partialPath: string }): Promise<void> {
  await rm(record.partialPath, { force: true });
}

const MAX_NUMBERED = 9999;

/**
 * Gives a complete, fsynced partial file its final name without ever replacing an existing file:
 * "film.mp4", else "film (1).mp4", "film (2).mp4", … `link` fails if the name exists, so two receives
 * finishing at once cannot take the same name; where the file system has no hard links (FAT, exFAT),
 * a checked rename is used instead. Returns the path the file now has.
 */
export async function finalisePartialFile(
  partialPath: string,
  destinationDir: string,
  fileName: string,
): Promise<string> {
  for (let n = 0; n <= MAX_NUMBERED; n++) {
    const candidate = join(destinationDir, n === 0 ? fileName : numberedFileName(fileName, n));
    try {
      await link(partialPath, candidate);
      await unlink(partialPath);
      await syncDirectory(destinationDir);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    }
    // No hard links here: rename only onto a name that does not exist.
    if (await exists(candidate)) continue;
    await rename(partialPath, candidate);
    await syncDirectory(destinationDir);
    return candidate;
  }
  throw new Error(`${destinationDir} already holds ${MAX_NUMBERED} files named like ${fileName}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Copies a complete file into `destinationDir` under `fileName`, or "name (1).ext", … when that is
 * taken — never over an existing file (COPYFILE_EXCL) — and returns where the copy is.
 */
export async function copyWithoutReplacing(source: string, destinationDir: string, fileName: string): Promise<string> {
  for (let n = 0; n <= MAX_NUMBERED; n++) {
    const candidate = join(destinationDir, n === 0 ? fileName : numberedFileName(fileName, n));
    try {
      await copyFile(source, candidate, constants.COPYFILE_EXCL);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`${destinationDir} already holds ${MAX_NUMBERED} files named like ${fileName}`);
}
