/**
 * Responsiveness probes for `npm run bench:host`: a tiny request every 50 ms, each timed from the moment
 * it is made to the end of its answer. A host whose loop is busy answers late; the round trips say how
 * late a click (a call over the contract) or a request to the host's HTTP side would be served.
 */
import { Agent, request } from 'node:http';

export const PROBE_INTERVAL_MS = 50;

export interface ProbeFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  readonly failures: number;
}

/** The p-th percentile of `values` by nearest rank (p99 of 60 samples is the largest). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function probeFigures(roundTrips: readonly number[], failures = 0): ProbeFigures {
  return {
    p50Ms: percentile(roundTrips, 50),
    p99Ms: percentile(roundTrips, 99),
    maxMs: roundTrips.length === 0 ? NaN : Math.max(...roundTrips),
    samples: roundTrips.length,
    failures,
  };
}

/**
 * Runs `probe` every PROBE_INTERVAL_MS from `start()` until `stop()`, each on its own (a slow answer
 * does not hold back the next request), and keeps the round trips.
 */
export class ProbeSeries {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private roundTrips: number[] = [];
  private failures = 0;

  constructor(
    readonly name: string,
    private readonly probe: () => Promise<unknown>,
  ) {}

  /** One probe on its own, outside any series: its round trip in ms. */
  async once(): Promise<number> {
    const started = performance.now();
    await this.probe();
    return performance.now() - started;
  }

  start(): void {
    this.roundTrips = [];
    this.failures = 0;
    this.timer = setInterval(() => {
      const started = performance.now();
      const done = this.probe().then(
        () => void this.roundTrips.push(performance.now() - started),
        () => void this.failures++,
      );
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    }, PROBE_INTERVAL_MS);
  }

  async stop(): Promise<ProbeFigures & { roundTrips: number[] }> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    return { ...probeFigures(this.roundTrips, this.failures), roundTrips: this.roundTrips };
  }
}

// Kept-alive connections, as a browser keeps them to the host: the probe times the host, not TCP's handshake.
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** A GET of `url` read to its end; any status counts (a 404 from the media endpoint is an answer). */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, headers }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error(`no answer from ${url} in 30 s`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}
