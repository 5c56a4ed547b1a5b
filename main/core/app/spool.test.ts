import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from './spool.js';

function body(...chunks: string[]): Readable {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
}

function failingBody(): Readable {
  return new Readable({
    read() {
      this.push(Buffer.from('half'));
      this.destroy(new Error('the browser went away'));
    },
  });
}

describe('the spool of dropped files', () => {
  let directory: string;
  let spool: Spool;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slipstream-spool-'));
    spool = new Spool(join(directory, 'spool'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('keeps a whole dropped file under its name made safe, and finds it by its ID', async () => {
    const spooled = await spool.receive('../../etc/passwd', 11, body('hello ', 'world'));
    expect(spooled.size).toBe(11);
    expect(await spool.pathOf(spooled.spoolId)).toBe(spooled.path);
    expect(spooled.path.startsWith(join(directory, 'spool', spooled.spoolId))).toBe(true);
    expect(spooled.path.endsWith('passwd')).toBe(true);
    expect(await readFile(spooled.path, 'utf8')).toBe('hello world');
  });

  it('keeps nothing of a drop that ended early, sent more than it announced, or broke off', async () => {
    await expect(spool.receive('a.bin', 100, body('short'))).rejects.toMatchObject({
      code: 'SPOOL_FAILED',
      message: 'the dropped file ended after 5 of its 100 bytes',
    });
    await expect(spool.receive('b.bin', 2, body('too long'))).rejects.toMatchObject({ code: 'SPOOL_FAILED' });
    await expect(spool.receive('c.bin', undefined, failingBody())).rejects.toMatchObject({ code: 'SPOOL_FAILED' });
    expect(await readdir(join(directory, 'spool'))).toEqual([]);
  });

  it('refuses a drop larger than the free space before writing anything', async () => {
    await expect(spool.receive('huge.bin', Number.MAX_SAFE_INTEGER, body('x'))).rejects.toMatchObject({
      code: 'DISK_FULL',
    });
    expect(await readdir(join(directory, 'spool'))).toEqual([]);
  });

  it('releases a copy once its transfer is done, and sweeps the copies nothing needs at start', async () => {
    const kept = await spool.receive('kept.mp4', undefined, body('a'));
    const released = await spool.receive('released.mp4', undefined, body('b'));
    const orphan = await spool.receive('orphan.mp4', undefined, body('c'));
    await spool.release(released.path);
    await expect(spool.pathOf(released.spoolId)).rejects.toMatchObject({ code: 'NO_SUCH_SPOOLED_FILE' });
    expect(await spool.sweep((path) => path === kept.path)).toBe(1);
    expect(await spool.pathOf(kept.spoolId)).toBe(kept.path);
    await expect(spool.pathOf(orphan.spoolId)).rejects.toMatchObject({ code: 'NO_SUCH_SPOOLED_FILE' });
  });

  it('never releases a path outside the spool', async () => {
    await spool.release(join(directory, 'spool'));
    await spool.release('/etc/passwd');
    expect(spool.holds('/etc/passwd')).toBe(false);
    expect(await readFile('/etc/passwd', 'utf8')).toContain('root');
  });
});
