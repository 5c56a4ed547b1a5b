/**
 * Keeps an upload's readers from starving it; one per upload followed or written. Every reader of an
 * upload in progress must eventually receive every byte, so fifty readers are fifty times the upload's
 * work for this process and the proxy in front; shared fairly, the upload would get a fiftieth of the
 * machine and everyone would crawl along at its pace. While the upload is arriving, its readers
 * together may therefore send at most `ratio` bytes per byte uploaded (plus `floorBytesPerSecond`, so
 * readers of a slow upload still keep up with it); they catch up from the stored file afterwards. With
 * no writer, reads are not limited.
 */
export class ReaderBudget {
  private activeUploads = 0;
  private tokens = 0;
  private refilledAt = performance.now();
  private readonly waiters: { bytes: number; resolve: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ratio: number,
    private readonly floorBytesPerSecond: number,
    /** Credit never accumulates past this, so a pause does not release a flood afterwards. */
    private readonly burstBytes: number,
  ) {}

  uploadStarted(): void {
    this.activeUploads += 1;
  }

  uploadEnded(): void {
    this.activeUploads -= 1;
    if (this.activeUploads === 0) this.releaseAll();
  }

  /** Bytes an upload received: readers earn `ratio` times as many. */
  credit(uploadedBytes: number): void {
    if (this.activeUploads === 0) return;
    this.tokens = Math.min(this.burstBytes, this.tokens + this.ratio * uploadedBytes);
    this.serve();
  }

  /** Resolves when a reader may send `bytes` more. */
  take(bytes: number): Promise<void> | undefined {
    if (this.activeUploads === 0) return undefined;
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= bytes) {
      this.tokens -= bytes;
      return undefined;
    }
    return new Promise((resolve) => {
      this.waiters.push({ bytes, resolve });
      this.schedule();
    });
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.refilledAt) / 1000) * this.floorBytesPerSecond);
    this.refilledAt = now;
  }

  private serve(): void {
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= this.waiters[0]!.bytes) {
      const waiter = this.waiters.shift()!;
      this.tokens -= waiter.bytes;
      waiter.resolve();
    }
    this.schedule();
  }

  /** Wakes the first waiter when the floor rate alone will have earned its bytes. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.waiters[0];
    if (!first) return;
    const waitMs = Math.max(1, ((first.bytes - this.tokens) / this.floorBytesPerSecond) * 1000);
    this.timer = setTimeout(() => this.serve(), waitMs);
  }

  private releaseAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
