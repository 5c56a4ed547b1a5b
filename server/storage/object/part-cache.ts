/**
 * Recently written or read parts of uploads, kept whole in memory and shared by every reader on this
 * instance: a part is immutable once recorded (its object key names its offset and writer), so a copy
 * can never be stale. Fifty readers following one upload then cost one GET per part per instance, not
 * fifty, and readers on the instance receiving the upload cost none (the writer puts each part here as
 * it records it). Bounded by bytes; the least recently used part goes first.
 */
export class PartCache {
  private readonly parts = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** Whether a part this large is worth keeping (a 1 GiB direct upload is streamed instead). */
  accepts(length: number): boolean {
    return length <= this.limitBytes / 4;
  }

  /** The part's bytes, fetched once by `load` however many readers ask at the same time. */
  get(objectKey: string, length: number, load: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.parts.get(objectKey);
    if (cached) {
      // Most recently used last.
      this.parts.delete(objectKey);
      this.parts.set(objectKey, cached);
      return cached;
    }
    const loading = load();
    this.remember(objectKey, length, loading);
    loading.catch(() => this.forget(objectKey));
    return loading;
  }

  /** A part this instance just wrote and recorded. */
  put(objectKey: string, bytes: Buffer): void {
    if (!this.accepts(bytes.byteLength) || this.parts.has(objectKey)) return;
    this.remember(objectKey, bytes.byteLength, Promise.resolve(bytes));
  }

  private remember(objectKey: string, length: number, bytes: Promise<Buffer>): void {
    this.parts.set(objectKey, bytes);
    this.sizes.set(objectKey, length);
    this.bytes += length;
    for (const oldest of this.parts.keys()) {
      if (this.bytes <= this.limitBytes || oldest === objectKey) break;
      this.forget(oldest);
    }
  }

  private forget(objectKey: string): void {
    if (!this.parts.delete(objectKey)) return;
    this.bytes -= this.sizes.get(objectKey) ?? 0;
    this.sizes.delete(objectKey);
  }
}
