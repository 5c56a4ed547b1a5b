/**
 * Progress updates at most once per interval per transfer, so a transfer moving a gigabyte a second
 * sends a few updates, not thousands: a forced update (a status change, the first bytes) goes at once;
 * a progress update within the interval waits for its end, and the last one is always delivered.
 */
export class UpdateThrottle {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (id: string) => void,
  ) {}

  request(id: string, force: boolean): void {
    const now = performance.now();
    const wait = this.intervalMs - (now - (this.lastSent.get(id) ?? -Infinity));
    if (!force && wait > 0) {
      if (!this.pending.has(id)) {
        this.pending.set(
          id,
          setTimeout(() => {
            this.pending.delete(id);
            this.request(id, true);
          }, wait).unref(),
        );
      }
      return;
    }
    this.cancel(id);
    this.lastSent.set(id, now);
    this.send(id);
  }

  /** Drops what is waiting for a transfer that is gone. */
  forget(id: string): void {
    this.cancel(id);
    this.lastSent.delete(id);
  }

  /** Drops everything still waiting (the engine closes). */
  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private cancel(id: string): void {
    clearTimeout(this.pending.get(id));
    this.pending.delete(id);
  }
}
