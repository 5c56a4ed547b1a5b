import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';
import { isAlive } from './processes.js';

/**
 * Runs `action` holding an exclusive lock file (created with O_EXCL, holding our pid). Several test
 * files call `up` at once from different worker processes: the first provisions, the others wait and
 * then find everything running. A lock left by a dead process is taken over.
 */
export async function withLock<T>(lockFile: string, action: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  await mkdir(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    // An empty file is a holder between open and write: give it a moment before calling it stale.
    if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StackError(`another \`stack\` command (pid ${holder}) has held ${lockFile} for too long`);
    }
    await sleep(200);
  }
  try {
    return await action();
  } finally {
    await rm(lockFile, { force: true });
  }
}
