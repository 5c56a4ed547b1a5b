/**
 * Keeps up to `depth` asynchronous jobs running while handing their results back strictly in the
 * order they were started. Bounded depth is the backpressure: the producer is not asked for more
 * input while the queue is full.
 */
export class OrderedPipeline<T> {
  private readonly queue: Promise<T>[] = [];

  constructor(private readonly depth: number) {}

  get isFull(): boolean {
    return this.queue.length >= this.depth;
  }

  get isEmpty(): boolean {
    return this.queue.length === 0;
  }

  push(job: Promise<T>): void {
    // A rejection is observed when its turn comes; until then it must not count as unhandled.
    job.catch(() => undefined);
    this.queue.push(job);
  }

  /** Waits for the oldest job. */
  async next(): Promise<T> {
    const job = this.queue.shift();
    if (job === undefined) throw new Error('OrderedPipeline.next() called on an empty pipeline');
    return job;
  }
}
