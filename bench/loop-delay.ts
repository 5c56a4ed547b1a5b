/**
 * Event-loop delay over a window of time, for `npm run bench:host` (bench/host-responsiveness.ts):
 * the same measure in the benchmark's own process and in each child it starts.
 *
 * `monitorEventLoopDelay` arms a timer every `resolution` ms on the loop and records the time between
 * two of its callbacks, so an idle loop records the resolution itself (10.1–10.2 ms here, measured):
 * the figures below are that interval less the resolution, the time the loop was late. A loop blocked
 * for 80 ms shows one late callback of about 80 ms whatever the resolution; the resolution decides how
 * many samples a window has (about 100 a second when the loop is free).
 */
import {
  constants,
  type IntervalHistogram,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';

export const LOOP_DELAY_RESOLUTION_MS = 10;

export interface LoopDelayFigures {
  /** How late the loop's timer ran, in ms (the histogram's interval less its resolution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  /** CPU-seconds of the whole process (every thread) over the window. */
  readonly cpuSeconds: number;
  /** V8's collections in the window: how many, their longest pause and their sum, in ms; `full`: mark-compacts alone. */
  readonly gc: {
    readonly count: number;
    readonly maxMs: number;
    readonly totalMs: number;
    readonly full: { readonly count: number; readonly maxMs: number };
  };
}

/** One process's event-loop delay between `start()` and `stop()`; windows can follow one another. */
export class LoopDelayWindow {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  private cpuBefore: NodeJS.CpuUsage | undefined;
  private gcPauses: { duration: number; full: boolean }[] = [];
  private readonly gcObserver = new PerformanceObserver((list) => this.noteCollections(list.getEntries()));

  private noteCollections(entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      this.gcPauses.push({ duration: entry.duration, full: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
    }
  }

  start(): void {
    this.histogram.disable();
    this.histogram.reset();
    this.gcPauses = [];
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.cpuBefore = process.cpuUsage();
    this.histogram.enable();
  }

  stop(): LoopDelayFigures {
    this.histogram.disable();
    // Entries still queued for the observer's callback belong to this window too.
    this.noteCollections(this.gcObserver.takeRecords());
    this.gcObserver.disconnect();
    const { user, system } = process.cpuUsage(this.cpuBefore);
    const late = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - LOOP_DELAY_RESOLUTION_MS);
    const samples = this.histogram.count;
    return {
      p50Ms: samples === 0 ? NaN : late(this.histogram.percentile(50)),
      p99Ms: samples === 0 ? NaN : late(this.histogram.percentile(99)),
      maxMs: samples === 0 ? NaN : late(this.histogram.max),
      samples,
      cpuSeconds: (user + system) / 1e6,
      gc: {
        count: this.gcPauses.length,
        maxMs: Math.max(0, ...this.gcPauses.map((pause) => pause.duration)),
        totalMs: this.gcPauses.reduce((sum, pause) => sum + pause.duration, 0),
        full: {
          count: this.gcPauses.filter((pause) => pause.full).length,
          maxMs: Math.max(0, ...this.gcPauses.filter((pause) => pause.full).map((pause) => pause.duration)),
        },
      },
    };
  }
}
