/**
 * Levels the state of the machine's free memory before a measured configuration.
 *
 * The project's machines are virtual machines with free page reporting (virtio-balloon): free memory
 * the guest has not reused for a while is handed back to the host, and the first write to each such
 * page then faults on the host. Measured on this machine with 1 MiB writes to a new file, reported per
 * 256 MiB: 4.0–5.2 GB/s for the first 2–2.5 GiB, then 250–300 MB/s, the kernel's copy into the page
 * cache (perf: `copy_folio_from_iter_atomic`) running 7–15 times dearer; only memory freed in the last
 * seconds, about 2–2.5 GiB of it, is spared. Freed pages are taken first, so whether a measured upload
 * wrote into fresh or recently freed memory depended on what had run before it and how long ago: the
 * slow and fast groups of media server runs in docs/benchmarks.md (330–550 against 700–1100 MB/s).
 *
 * Writing and deleting a scratch file as large as the measurement's new page cache just before it
 * leaves that much recently used memory at the head of the free lists, for every configuration alike.
 * The file is deleted before writeback, so it costs no disk writes. Its write rate is reported: a low
 * one means the warm-up met memory the host had taken back, which the measurement would otherwise have.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

const CHUNK = 1024 * 1024;

export interface WarmUp {
  readonly bytes: number;
  readonly mbPerSecond: number;
}

export async function warmFreeMemory(directory: string, bytes: number): Promise<WarmUp> {
  const path = join(directory, 'free-memory-warm-up.bin');
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  await mkdir(directory, { recursive: true });
  const started = performance.now();
  const file = await open(path, 'w');
  try {
    for (let written = 0; written < bytes; written += CHUNK)
      await file.write(chunk, 0, Math.min(CHUNK, bytes - written));
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  return { bytes, mbPerSecond: bytes / 1e6 / ((performance.now() - started) / 1000) };
}
