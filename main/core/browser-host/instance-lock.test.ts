import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeLock } from './instance-lock.js';

describe('one browser host per data directory', () => {
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'slipstream-lock-'))));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('never takes the lock of a process that is alive, even one that does not answer (still starting)', async () => {
    // This very process holds it, on a port nothing listens on.
    await writeFile(
      join(dataDir, 'browser-host.lock'),
      JSON.stringify({ pid: process.pid, port: 9, launchKey: 'k'.repeat(43) }),
    );
    await expect(takeLock(dataDir, { pid: process.pid, port: 10, launchKey: 'n'.repeat(43) })).rejects.toThrow(
      `another Slipstream (process ${process.pid}) is using ${dataDir}`,
    );
  });

  it('takes over the lock of a process that is gone, and releases only its own', async () => {
    await writeFile(
      join(dataDir, 'browser-host.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, port: 9, launchKey: 'k'.repeat(43) }),
    );
    const lock = await takeLock(dataDir, { pid: process.pid, port: 10, launchKey: 'n'.repeat(43) });
    expect(JSON.parse(await readFile(join(dataDir, 'browser-host.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      port: 10,
    });
    await lock.release();
    await expect(readFile(join(dataDir, 'browser-host.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
