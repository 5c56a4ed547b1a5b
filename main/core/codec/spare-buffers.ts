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

  /**
   * The smallest spare of at least `length` bytes, now the caller's; undefined when there is none,
   * or when nothing is to be written (`length` 0). The smallest, so that a stream of small batches
   * sharing the cipher with one of large batches leaves the large spares to it.
   */
  take(length: number): ArrayBuffer | undefined {
    if (length <= 0) return undefined;
    let best = -1;
    for (const [index, spare] of this.spares.entries()) {
      if (spare.byteLength >= length && (best < 0 || spare.byteLength < this.spares[best]!.byteLength)) best = index;
    }
    return best < 0 ? undefined : this.spares.splice(best, 1)[0];
  }

  /**
   * Hands memory back. A detached buffer (transferred elsewhere) and one already held are ignored:
   * holding one twice would give it to two results at once.
   */
  put(buffer: ArrayBuffer | undefined): void {
    if (buffer === undefined || buffer.byteLength === 0 || this.spares.includes(buffer)) return;
    if (this.spares.length < this.capacity) this.spares.push(buffer);
  }

  /** `put(spare)` unless the result was written into it (a cipher that could not use it). */
  putUnused(spare: ArrayBuffer | undefined, result: object): void {
    if (spare !== undefined && !('storage' in result && result.storage === spare)) this.put(spare);
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
