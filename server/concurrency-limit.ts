/**
 * At most `limit` tasks at once; the rest wait in order. The media server runs every readers' disk reads
 * through one of these: reads, upload writes and fdatasyncs all share libuv's small thread pool (four
 * threads by default), and fifty readers each queueing a read would put every upload write behind them.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next task, so `running` never dips and lets a newcomer overtake it.
      const next = this.queue.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
