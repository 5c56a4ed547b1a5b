import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/*
 * One browser host per data directory: two engines over the same transfer records would each resume
 * the same uploads. The running host writes its port, process and launch key into a file only its user
 * can read; a second `slipstream app` finds it, hands its files to the running host (as a second launch
 * of a desktop app does) and prints its address instead of starting another.
 */

const lockSchema = z.strictObject({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65535),
  launchKey: z.string().min(32),
});
export type RunningHost = z.infer<typeof lockSchema>;

function lockPathOf(dataDir: string): string {
  return join(dataDir, 'browser-host.lock');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<RunningHost | undefined> {
  try {
    return lockSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * The host already running on this data directory, if its process is alive and it answers (a host
 * still opening its engine answers 503, and is running all the same).
 */
export async function findRunningHost(dataDir: string): Promise<RunningHost | undefined> {
  const running = await readLock(lockPathOf(dataDir));
  if (!running || !processAlive(running.pid)) return undefined;
  try {
    const response = await fetch(`http://127.0.0.1:${running.port}/handoff`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${running.launchKey}` },
      signal: AbortSignal.timeout(3000),
    });
    return response.ok || response.status === 503 ? running : undefined;
  } catch {
    return undefined;
  }
}

/** Hands files to the running host, which pushes them to its page as `filesOpened`. */
export async function handOff(running: RunningHost, paths: readonly string[]): Promise<void> {
  // A host still opening its engine answers 503: wait for it, up to half a minute.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`http://127.0.0.1:${running.port}/handoff`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${running.launchKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ paths }),
      signal: AbortSignal.timeout(5000),
    });
    if (response.ok) return;
    if (response.status !== 503 || attempt >= 60) {
      throw new Error(`the running Slipstream refused the files: ${(await response.text()).trim()}`);
    }
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Takes the lock for this process. A lock left by a host that is gone (a crash) is replaced; one held
 * by a live host that answers is not (the caller should have handed off to it).
 */
export async function takeLock(dataDir: string, host: RunningHost): Promise<{ release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = lockPathOf(dataDir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(host)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        release: async () => {
          // Only our own lock: a later host may have replaced a lock we were too slow to remove.
          if ((await readLock(path))?.launchKey === host.launchKey) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readLock(path);
      // A live process keeps its lock, answering or not (it may be busy starting): never two engines
      // on one data directory. Only a lock whose process is gone (a crash) is taken over.
      if (holder && processAlive(holder.pid)) {
        throw new Error(
          `another Slipstream (process ${holder.pid}) is using ${dataDir}; its address is http://127.0.0.1:${holder.port}/`,
          { cause: error },
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}: another Slipstream keeps starting on ${dataDir}`);
}
