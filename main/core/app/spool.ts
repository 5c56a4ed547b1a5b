import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SPOOL_ID } from '../../../shared/app/identifiers.js';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { safeFileName } from '../../../shared/transfer/safe-file-name.js';
import { syncDirectory } from '../state/durable-file.js';
import { isInside } from './folder-access.js';

const INCOMING = '.incoming';

export interface SpooledFile {
  readonly spoolId: string;
  readonly path: string;
  readonly size: number;
}

/**
 * Files dropped onto the browser host's page. A browser gives a dropped file's bytes, never its path,
 * so the page streams it here (`<dataDir>/spool/<id>/<name>`) and the send starts from this copy once
 * it is whole. A copy is written under a hidden name and renamed only when complete and synced, so a
 * half-received drop is never sent; it is removed when its transfer ends, and at the next start if no
 * unfinished transfer still reads it.
 */
export class Spool {
  constructor(readonly directory: string) {}

  /** Takes one dropped file from `body`; `declaredSize` (Content-Length) is checked and reserved up front. */
  async receive(untrustedName: string, declaredSize: number | undefined, body: Readable): Promise<SpooledFile> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    if (declaredSize !== undefined) await this.assertRoomFor(declaredSize);
    const spoolId = randomBytes(18).toString('base64url');
    const folder = join(this.directory, spoolId);
    await mkdir(folder, { mode: 0o700 });
    const incoming = join(folder, INCOMING);
    const handle = await open(incoming, 'wx', 0o600);
    let size = 0;
    try {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (declaredSize !== undefined && size > declaredSize) {
            throw new IpcError(
              'SPOOL_FAILED',
              `the dropped file sent more than the ${declaredSize} bytes it announced`,
            );
          }
          await handle.write(chunk);
        }
        if (declaredSize !== undefined && size !== declaredSize) {
          throw new IpcError('SPOOL_FAILED', `the dropped file ended after ${size} of its ${declaredSize} bytes`);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      const path = join(folder, safeFileName(untrustedName));
      await rename(incoming, path);
      await syncDirectory(folder);
      return { spoolId, path, size };
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      if (error instanceof IpcError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT')
        throw new IpcError('DISK_FULL', 'the disk filled up while the dropped file was copied');
      throw new IpcError(
        'SPOOL_FAILED',
        `the dropped file could not be copied: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }

  /** The complete copy with this ID. */
  async pathOf(spoolId: string): Promise<string> {
    if (!SPOOL_ID.test(spoolId)) throw new IpcError('NO_SUCH_SPOOLED_FILE', 'that is not a spool ID');
    const names = await readdir(join(this.directory, spoolId)).catch(() => [] as string[]);
    const name = names.find((entry) => entry !== INCOMING && !entry.startsWith('.'));
    if (name === undefined) {
      throw new IpcError(
        'NO_SUCH_SPOOLED_FILE',
        'the dropped file is not here (it was not copied completely, or was already sent and removed)',
      );
    }
    return join(this.directory, spoolId, name);
  }

  holds(path: string): boolean {
    return isInside(this.directory, path) && path !== this.directory;
  }

  /** Removes the copy a path lies in (a transfer's source), once nothing needs it. */
  async release(path: string): Promise<void> {
    if (!this.holds(path)) return;
    const spoolId = path.slice(this.directory.length + 1).split(/[\\/]/)[0];
    if (spoolId && SPOOL_ID.test(spoolId)) await rm(join(this.directory, spoolId), { recursive: true, force: true });
  }

  /** At start: removes every copy no unfinished transfer reads (`inUse` is asked with each copy's path). */
  async sweep(inUse: (path: string) => boolean): Promise<number> {
    let removed = 0;
    for (const spoolId of await readdir(this.directory).catch(() => [] as string[])) {
      const folder = join(this.directory, spoolId);
      const names = await readdir(folder).catch(() => [] as string[]);
      if (names.some((name) => name !== INCOMING && inUse(join(folder, name)))) continue;
      await rm(folder, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  private async assertRoomFor(bytes: number): Promise<void> {
    const stats = await statfs(this.directory).catch(() => undefined);
    if (stats && bytes > stats.bavail * stats.bsize) {
      throw new IpcError(
        'DISK_FULL',
        `there is not enough free space to take this file (${bytes} bytes; ${stats.bavail * stats.bsize} free in ${this.directory})`,
      );
    }
  }
}
