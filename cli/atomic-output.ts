import { randomBytes } from 'node:crypto';
import { createWriteStream, realpathSync, statSync, type Stats, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CliError } from './cli-error.js';
import { fsyncPath, syncDirectory } from '../main/core/state/durable-file.js';
import { describeFsError } from './input-source.js';

/**
 * A destination that only ever shows a finished file under its real name: bytes go to a hidden
 * temporary file beside it, which is flushed to disk and renamed over the target on `commit`, and
 * removed on `abort`. `-` means standard output, and an existing device or pipe is written in place;
 * neither can be taken back, so callers must not send unverified bytes there (see `writesInPlace`).
 */
export interface AtomicOutput {
  /**
   * Writes every chunk of `source` in order, asking for the next only once the previous has been
   * handed to the system: memory stays bounded, and a source may reuse a chunk's memory as soon as
   * it is asked for the next (the codec's `reuseYieldedBuffers`).
   */
  write(source: ByteChunks): Promise<void>;
  commit(): Promise<void>;
  /** Discards the output: the temporary before `commit`, the committed file after it. */
  abort(): Promise<void>;
}

export interface OutputOptions {
  /** Readable by the owner only (0600), for files holding key material. */
  readonly private?: boolean;
}

type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * `AtomicOutput.write` over a Node stream: each chunk's write callback (the system has the bytes) is
 * awaited before the next chunk is asked for. `end` ends the stream after the last chunk and waits
 * until it is finished, or destroys it on failure. (Not `stream.pipeline`, which asks for the next
 * chunk while the stream may still hold the previous one.)
 */
async function writeEach(source: ByteChunks, stream: Writable, end: boolean): Promise<void> {
  let failure: unknown;
  const noteFailure = (error: unknown): void => {
    failure ??= error;
  };
  // A failure the stream reports outside a write (opening the file) ends the loop at the next chunk.
  // On a stream this function ends, the listener stays: a file stream reports a failed write again
  // once it has closed its file, after this function is done, and an unheard 'error' would end the
  // process (stream.pipeline leaves a listener behind for the same reason).
  stream.on('error', noteFailure);
  try {
    for await (const chunk of source) {
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve, reject) => {
        stream.write(chunk, (error) => (error ? reject(error) : resolve()));
      });
    }
    if (failure !== undefined) throw failure;
    if (end) {
      stream.end();
      await finished(stream);
    }
  } catch (error) {
    if (end) stream.destroy();
    throw failure ?? error;
  } finally {
    if (!end) stream.off('error', noteFailure);
  }
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

export function openAtomicOutput(requested: string, options: OutputOptions = {}): AtomicOutput {
  if (requested === '-') return standardOutput();
  // Write through a symbolic link to the file it names, rather than replacing the link.
  const target = realpathOrSelf(requested);
  const existing = statOrUndefined(target);
  if (existing?.isDirectory()) throw new CliError(`${requested} is a directory; give a file name`);
  // A device or pipe (/dev/null, a FIFO) is written in place: renaming a file over it would replace
  // the device itself.
  if (existing && !existing.isFile()) return directOutput(target, requested);
  // A replaced file keeps its permissions; a new one gets the umask's, or 0600 when private.
  const mode = options.private ? 0o600 : (existing?.mode ?? 0o666) & 0o777;
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  liveTemporaries.add(temporary);
  let stream: WriteStream | undefined;
  let committed = false;
  return {
    async write(source) {
      stream = createWriteStream(temporary, { flags: 'wx', mode, highWaterMark: 1024 * 1024 });
      await writeEach(source, stream, true).catch((error: unknown) => {
        throw asTargetError(error, requested);
      });
    },
    async commit() {
      if (stream === undefined) await this.write([]);
      try {
        await fsyncPath(temporary);
        await rename(temporary, target);
      } catch (error) {
        throw asTargetError(error, requested);
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

/** File-system errors name the user's path, not the hidden temporary. */
function asTargetError(error: unknown, target: string): unknown {
  if (!(error as NodeJS.ErrnoException)?.syscall) return error;
  return new CliError(`cannot write ${target}: ${describeFsError(error)}`);
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function directOutput(target: string, requested: string): AtomicOutput {
  return {
    async write(source) {
      await writeEach(source, createWriteStream(target, { flags: 'w' }), true).catch((error: unknown) => {
        throw asTargetError(error, requested);
      });
    },
    async commit() {},
    async abort() {},
  };
}

function standardOutput(): AtomicOutput {
  return {
    async write(source) {
      // Errors of standard output (a closed pipe, a full disk) reject here instead of hanging.
      await writeEach(source, process.stdout, false).catch((error: unknown) => {
        // A reader that went away (`| head`) is told apart by the caller, so EPIPE stays as it is.
        throw (error as NodeJS.ErrnoException)?.code === 'EPIPE' ? error : asTargetError(error, 'standard output');
      });
    },
    async commit() {},
    async abort() {},
  };
}

/** True for outputs whose bytes cannot be taken back: standard output, devices, pipes. */
export function writesInPlace(requested: string): boolean {
  if (requested === '-') return true;
  const existing = statOrUndefined(realpathOrSelf(requested));
  return existing !== undefined && !existing.isFile() && !existing.isDirectory();
}

/** True when two paths name the same existing file (or are the same string). */
export function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  const first = statOrUndefined(a);
  const second = statOrUndefined(b);
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino;
}
