import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { RandomAccessCiphertext } from '../main/core/codec/random-access.js';
import { CliError } from './cli-error.js';

const READ_CHUNK = 1024 * 1024;

/** A readable input: a file, or standard input for `-`. The size is known for regular files. */
export async function openInput(path: string): Promise<{ stream: AsyncIterable<Uint8Array>; size?: number }> {
  if (path === '-') return { stream: process.stdin };
  const info = await statInput(path);
  // A pipe (`<(command)`) streams like stdin: its size is unknown.
  return { stream: createReadStream(path, { highWaterMark: READ_CHUNK }), size: info.isFile() ? info.size : undefined };
}

async function statInput(path: string) {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CliError(`${path} is a directory, not a file`);
    return info;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
}

/** A file read at arbitrary offsets, for range decryption; stdin cannot be used this way. */
export async function openRandomAccess(path: string): Promise<RandomAccessCiphertext & { close(): Promise<void> }> {
  if (path === '-') throw new CliError('--range needs a file to seek in, not standard input');
  const info = await statInput(path);
  if (!info.isFile()) throw new CliError(`--range needs a file to seek in; ${path} is not one`);
  const handle = await open(path, 'r');
  return {
    size: info.size,
    async read(start, end) {
      const length = Math.max(0, Math.min(end, info.size) - start);
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EEXIST':
      return 'it already exists';
    default:
      return (error as Error)?.message ?? String(error);
  }
}
