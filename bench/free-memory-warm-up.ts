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

/** The warm-ups of one benchmark run: each logged as it happens, their write rates summed up at the end. */
export class FreeMemoryWarmUp {
  private readonly rates: number[] = [];

  constructor(
    private readonly directory: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Writes and deletes a scratch file of `bytes`. */
  async run(bytes: number): Promise<void> {
    const path = join(this.directory, 'free-memory-warm-up.bin');
    const chunk = Buffer.alloc(CHUNK, 0x5a);
    await mkdir(this.directory, { recursive: true });
    const started = performance.now();
    const file = await open(path, 'w');
    try {
      for (let written = 0; written < bytes; written += CHUNK)
        await file.write(chunk, 0, Math.min(CHUNK, bytes - written));
    } finally {
      await file.close();
      await rm(path, { force: true });
    }
    const mbPerSecond = bytes / 1e6 / ((performance.now() - started) / 1000);
    this.rates.push(mbPerSecond);
    this.log(`free-memory warm-up: ${(bytes / CHUNK).toFixed(0)} MiB at ${mbPerSecond.toFixed(0)} MB/s`);
  }

  /** The range of the write rates so far, e.g. "550–3342 MB/s". */
  get rateRange(): string {
    return `${Math.min(...this.rates).toFixed(0)}–${Math.max(...this.rates).toFixed(0)} MB/s`;
  }
}
