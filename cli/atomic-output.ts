import { randomBytes } from 'node:crypto';
import { createWriteStream, statSync, type Stats, type WriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from './cli-error.js';
import { describeFsError } from './input-source.js';

/**
 * A destination that only ever shows a finished file under its real name: bytes go to a hidden
 * temporary file beside it, which is flushed to disk and renamed over the target on `commit`, and
 * removed on `abort`. `-` means standard output, and an existing device or pipe is written in place;
 * neither can be taken back, so a failure there is reported by the exit status alone.
 */
export interface AtomicOutput {
  /** Writes every chunk of `source`, respecting backpressure. */
  write(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
  commit(): Promise<void>;
  /** Discards the output: the temporary before `commit`, the committed file after it. */
  abort(): Promise<void>;
}

const liveTemporaries = new Set<string>();

/** Removes temporaries of outputs that were never committed, for signal handlers. */
export function removeTemporariesSync(unlinkSync: (path: string) => void): void {
  for (const path of liveTemporaries) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
  liveTemporaries.clear();
}

export function openAtomicOutput(target: string): AtomicOutput {
  if (target === '-') return standardOutput();
  const existing = statSyncOrUndefined(target);
  if (existing?.isDirectory()) throw new CliError(`${target} is a directory; give a file name`);
  // A device or pipe (/dev/null, a FIFO) is written in place: renaming a file over it would replace
  // the device itself.
  if (existing && !existing.isFile()) return directOutput(target);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  liveTemporaries.add(temporary);
  let stream: WriteStream | undefined;
  let committed = false;
  return {
    async write(source) {
      stream = createWriteStream(temporary, { flags: 'wx', highWaterMark: 1024 * 1024 });
      await pipeline(source, stream).catch((error: unknown) => {
        throw asTargetError(error, target);
      });
    },
    async commit() {
      if (stream === undefined) await this.write([]);
      try {
        await fsyncPath(temporary);
        await rename(temporary, target);
      } catch (error) {
        throw asTargetError(error, target);
      }
      committed = true;
      liveTemporaries.delete(temporary);
      await syncDirectory(dirname(target));
    },
    async abort() {
      stream?.destroy();
      await unlink(committed ? target : temporary).catch(() => undefined);
      liveTemporaries.delete(temporary);
    },
  };
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable; not every platform can open a directory, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot fsync a directory; the rename is still atomic there.
  await fsyncPath(directory).catch(() => undefined);
}

/** File-system errors name the user's path, not the hidden temporary. */
function asTargetError(error: unknown, target: string): unknown {
  if (!(error as NodeJS.ErrnoException)?.syscall) return error;
  return new CliError(`cannot write ${target}: ${describeFsError(error)}`);
}

function statSyncOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function directOutput(target: string): AtomicOutput {
  return {
    async write(source) {
      await pipeline(source, createWriteStream(target, { flags: 'w' }));
    },
    async commit() {},
    async abort() {},
  };
}

function standardOutput(): AtomicOutput {
  return {
    async write(source) {
      const stdout = process.stdout as Writable;
      for await (const chunk of source) {
        if (!stdout.write(chunk)) await new Promise<void>((resolve) => stdout.once('drain', resolve));
      }
    },
    async commit() {},
    async abort() {},
  };
}
