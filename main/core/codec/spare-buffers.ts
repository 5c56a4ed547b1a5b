/**
 * Memory that a cipher's results have been written into and that their user has finished with,
 * kept to write later results into. A batch's output written into fresh memory costs a page fault
 * per 4 KiB page and leaves a megabyte or two of garbage per batch for the collector: at 64 KiB
 * blocks the native cipher alone opens 2 MiB batches about half as fast into a fresh buffer as into
 * a reused one (`npm run bench:codec`, "Native open alone"; figures in docs/benchmarks.md).
 *
 * Bounded: beyond `capacity` buffers, what is handed back is left to the collector.
 */
export class SpareBuffers {
  private readonly spares: ArrayBuffer[] = [];

  constructor(private readonly capacity: number) {}

  /** A spare of at least `length` bytes, now the caller's; undefined when there is none. */
  take(length: number): ArrayBuffer | undefined {
    const index = this.spares.findIndex((spare) => spare.byteLength >= length);
    return index < 0 ? undefined : this.spares.splice(index, 1)[0];
  }

  /** Hands memory back. A detached buffer (transferred elsewhere) is ignored. */
  put(buffer: ArrayBuffer): void {
    if (buffer.byteLength > 0 && this.spares.length < this.capacity) this.spares.push(buffer);
  }
}

/** Allocation granule of large result memory, so batches of slightly different sizes can share spares. */
const GRANULE = 64 * 1024;

/**
 * Memory for a result of `length` bytes: a spare if one is large enough, otherwise a fresh,
 * uninitialised allocation (rounded up to the granule when large). Never a slice of Node's shared
 * pool: the whole ArrayBuffer is the result's, so it can be transferred to another thread and reused.
 */
export function resultMemory(length: number, spare?: ArrayBuffer): ArrayBuffer {
  if (spare !== undefined && spare.byteLength >= length) return spare;
  const size = length < GRANULE ? length : Math.ceil(length / GRANULE) * GRANULE;
  return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
}
