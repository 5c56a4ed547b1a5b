import type { BigIntStats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeFsFailure, isErrno, TransferError } from './transfer-error.js';
import type { SourceIdentity } from './transfer-record.js';

function identityOf(path: string, stats: BigIntStats): SourceIdentity {
  return {
    path,
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs.toString(),
    ctimeNs: stats.ctimeNs.toString(),
    ino: stats.ino.toString(),
    dev: stats.dev.toString(),
  };
}

/** What differs between the identity a transfer began with and the file now, in words; undefined if nothing. */
function differenceOf(expected: SourceIdentity, actual: SourceIdentity): string | undefined {
  if (actual.ino !== expected.ino || actual.dev !== expected.dev) return 'it was replaced by another file';
  if (actual.size !== expected.size) return `its size changed from ${expected.size} to ${actual.size} bytes`;
  if (actual.mtimeNs !== expected.mtimeNs) return 'it was modified';
  // ctime also moves on chmod or a rename, but also when a writer restores mtime to hide a change.
  if (actual.ctimeNs !== expected.ctimeNs) return 'its metadata changed (it may have been modified)';
  return undefined;
}

function sourceChanged(path: string, difference: string): TransferError {
  return new TransferError(
    'SOURCE_CHANGED',
    `${path} changed after its transfer began (${difference}); it cannot be sent under the same key, so the transfer stopped. Send the file again.`,
  );
}

function unreadable(error: unknown, path: string): unknown {
  if (!isErrno(error)) return error;
  return new TransferError('SOURCE_UNREADABLE', describeFsFailure(error, `cannot read ${path}`), { cause: error });
}

/** Stats a file to be sent: a regular file, by absolute path. */
export async function identifySource(path: string): Promise<SourceIdentity> {
  const absolute = resolve(path);
  let stats: BigIntStats;
  try {
    stats = await stat(absolute, { bigint: true });
  } catch (error) {
    throw unreadable(error, absolute);
  }
  if (!stats.isFile()) {
    throw new TransferError('SOURCE_UNREADABLE', `${absolute} is not a regular file`);
  }
  return identityOf(absolute, stats);
}

/**
 * The file being sent, held open for the transfer. Every read is followed by an fstat: a file that
 * changes while it is being read stops the transfer (SOURCE_CHANGED) rather than going out as a
 * mixture of old and new content, and rather than ever encrypting new bytes under the key and IV
 * already used for the old ones. The plaintext ledger (plaintext-ledger.ts) adds a content check for
 * bytes read a second time, which a changed file with a restored timestamp could otherwise pass.
 */
export class SourceFile {
  private constructor(
    readonly identity: SourceIdentity,
    private readonly handle: FileHandle,
  ) {}

  /** Opens the file and checks it is still the one described by `identity`. */
  static async open(identity: SourceIdentity): Promise<SourceFile> {
    let handle: FileHandle;
    try {
      handle = await open(identity.path, 'r');
    } catch (error) {
      if (isErrno(error) && error.code === 'ENOENT') throw sourceChanged(identity.path, 'it was deleted or moved');
      throw unreadable(error, identity.path);
    }
    const file = new SourceFile(identity, handle);
    try {
      await file.verifyUnchanged();
    } catch (error) {
      await handle.close();
      throw error;
    }
    return file;
  }

  async verifyUnchanged(): Promise<void> {
    let stats: BigIntStats;
    try {
      stats = await this.handle.stat({ bigint: true });
    } catch (error) {
      throw unreadable(error, this.identity.path);
    }
    const difference = differenceOf(this.identity, identityOf(this.identity.path, stats));
    if (difference !== undefined) throw sourceChanged(this.identity.path, difference);
  }

  /**
   * Exactly `length` bytes at `position`, then a check that the file did not change meanwhile. With
   * `into`, the bytes land at its start and the result is a view of it (valid until it is reused).
   */
  async read(position: number, length: number, into?: Buffer): Promise<Buffer> {
    const buffer = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { bytesRead } = await this.handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw unreadable(error, this.identity.path);
    }
    await this.verifyUnchanged();
    if (filled < length) throw sourceChanged(this.identity.path, 'it is shorter than when the transfer began');
    return buffer;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
