/**
 * Rate and time-to-completion for one transfer, smoothed so a display does not flicker: an
 * exponentially weighted rate over samples at least `sampleMs` apart.
 */
export class ProgressMeter {
  private lastAt: number | undefined;
  private lastBytes = 0;
  private smoothed = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sampleMs = 250,
    /** Weight of the newest sample: 0.3 settles in about two seconds at four samples a second. */
    private readonly weight = 0.3,
  ) {}

  /** Records that `bytesDone` bytes are done now; returns the smoothed rate in bytes per second. */
  sample(bytesDone: number): number {
    const at = this.now();
    if (this.lastAt === undefined || bytesDone < this.lastBytes) {
      this.lastAt = at;
      this.lastBytes = bytesDone;
      return this.smoothed;
    }
    const elapsed = at - this.lastAt;
    if (elapsed < this.sampleMs) return this.smoothed;
    const instant = ((bytesDone - this.lastBytes) * 1000) / elapsed;
    this.smoothed = this.smoothed === 0 ? instant : this.weight * instant + (1 - this.weight) * this.smoothed;
    this.lastAt = at;
    this.lastBytes = bytesDone;
    return this.smoothed;
  }

  get rate(): number {
    return this.smoothed;
  }

  /** Seconds left at the current rate, or undefined while there is no rate to go by. */
  etaSeconds(bytesDone: number, bytesTotal: number): number | undefined {
    if (this.smoothed <= 0) return undefined;
    return Math.max(0, (bytesTotal - bytesDone) / this.smoothed);
  }

  /** Forget the rate (after a pause or an error, the old rate says nothing). */
  reset(): void {
    this.lastAt = undefined;
    this.smoothed = 0;
  }
}
