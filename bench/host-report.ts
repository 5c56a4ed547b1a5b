/**
 * `npm run bench:host`'s tables: every figure beside its floor, measured in the same rounds.
 * Event-loop delays are medians over the rounds of each round's percentiles (a histogram per window
 * cannot be merged across processes); probe round trips are percentiles of every round's samples
 * pooled (about 20 a second), since one send gives too few for a p99 of its own.
 */
import type { ConfigurationName } from './host-configurations.js';
import { percentile, type ProbeFigures, probeFigures } from './host-probes.js';
import type { LoopDelayFigures } from './loop-delay.js';

export interface WindowFigures {
  readonly loops: { readonly host: LoopDelayFigures; readonly main: LoopDelayFigures; readonly idle: LoopDelayFigures };
  readonly probes: Record<string, ProbeFigures & { readonly roundTrips: readonly number[] }>;
}

export interface RoundResult {
  readonly configuration: ConfigurationName;
  readonly cipher: string;
  readonly seconds: number;
  readonly updates: number;
  /** Each probe's first request to the fresh host (after the warm-up send), ms: one-time costs. */
  readonly firstRequests: Record<string, number>;
  /** During the send. */
  readonly send: WindowFigures;
  /** Right after it, for as long, the host idle. */
  readonly idle: WindowFigures;
}

export interface RunContext {
  readonly startedAt: string;
  readonly commit: string;
  readonly node: string;
  readonly loadAverage: { readonly before: number; readonly after: number };
  readonly sizeMiB: number;
  readonly rounds: number;
  readonly nodeArgs: readonly string[];
  readonly warmUpRates: string | undefined;
}

const LABELS: Record<ConfigurationName, string> = {
  desktop: 'desktop',
  'desktop-node-crypto': 'desktop, node:crypto (as in Electron)',
  'browser-host': 'browser host',
};

const median = (values: readonly number[]): number => percentile(values, 50);
const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const triple = (p50: number, p99: number, max: number): string => `${ms(p50)} / ${ms(p99)} / ${ms(max)}`;

type Pick<T> = (round: RoundResult) => T;

/** Median over the rounds of each percentile of one loop. */
function loopMedians(rounds: readonly RoundResult[], loop: Pick<LoopDelayFigures>) {
  const figures = rounds.map(loop);
  return {
    p50: median(figures.map((f) => f.p50Ms)),
    p99: median(figures.map((f) => f.p99Ms)),
    max: median(figures.map((f) => f.maxMs)),
    p99s: figures.map((f) => ms(f.p99Ms)).join(', '),
  };
}

function loopRow(
  label: string,
  rounds: readonly RoundResult[],
  during: Pick<LoopDelayFigures>,
  floorLabel: string,
  floor: Pick<LoopDelayFigures>,
): string {
  const d = loopMedians(rounds, during);
  const f = loopMedians(rounds, floor);
  return `| ${label} | ${triple(d.p50, d.p99, d.max)} | ${d.p99s} | ${triple(f.p50, f.p99, f.max)} | ${floorLabel} | ${(d.p99 / f.p99).toFixed(1)} |`;
}

function pooled(rounds: readonly RoundResult[], window: 'send' | 'idle', probe: string): ProbeFigures {
  const series = rounds.map((round) => round[window].probes[probe]!);
  return probeFigures(
    series.flatMap((figures) => figures.roundTrips),
    series.reduce((sum, figures) => sum + figures.failures, 0),
  );
}

function probeRow(
  label: string,
  rounds: readonly RoundResult[],
  probe: string,
  floorLabel: string,
  floorProbe: string,
): string {
  const d = pooled(rounds, 'send', probe);
  const f = pooled(rounds, 'idle', floorProbe);
  const failures = d.failures + f.failures > 0 ? ` (${d.failures} / ${f.failures} failed)` : '';
  const p99s = rounds.map((round) => ms(round.send.probes[probe]!.p99Ms)).join(', ');
  return `| ${label} | ${triple(d.p50Ms, d.p99Ms, d.maxMs)} | ${p99s} | ${triple(f.p50Ms, f.p99Ms, f.maxMs)} | ${floorLabel}${failures} | ${(d.p99Ms / f.p99Ms).toFixed(1)} |`;
}

export function hostReport(context: RunContext, results: readonly RoundResult[]): string {
  const byConfiguration = new Map<ConfigurationName, RoundResult[]>();
  for (const result of results)
    byConfiguration.set(result.configuration, [...(byConfiguration.get(result.configuration) ?? []), result]);
  const idleAlone = 'idle Node, same V8 options, alone';
  const loopRows: string[] = [];
  const probeRows: string[] = [];
  const transferRows: string[] = [];
  const firstRequestLines: string[] = [];
  for (const [configuration, rounds] of byConfiguration) {
    const label = LABELS[configuration];
    const desktop = configuration !== 'browser-host';
    const updates = median(rounds.map((round) => round.updates));
    loopRows.push(
      loopRow(
        desktop ? `${label}: engine host (Node child)` : `${label}: host process (engine + HTTP server)`,
        rounds,
        (round) => round.send.loops.host,
        idleAlone,
        (round) => round.idle.loops.idle,
      ),
    );
    if (desktop) {
      loopRows.push(
        loopRow(
          `${label}: main (supervisor, ${updates} updates forwarded)`,
          rounds,
          (round) => round.send.loops.main,
          'the same process, idle',
          (round) => round.idle.loops.main,
        ),
      );
      probeRows.push(
        probeRow(
          `${label}: contract call main → engine host (appInfo)`,
          rounds,
          'contract',
          'the same call, engine host idle',
          'contract',
        ),
        probeRow(
          `${label}: engine host's media endpoint (HTTP GET, 404)`,
          rounds,
          'media endpoint',
          'the same GET, engine host idle',
          'media endpoint',
        ),
      );
    } else {
      probeRows.push(
        probeRow(
          `${label}: HTTP GET of the host's server`,
          rounds,
          'http',
          'the same GET, idle Node child',
          'idle child',
        ),
      );
    }
    loopRows.push(
      loopRow(
        `beside the ${label} send: ${idleAlone.replace(', alone', '')}`,
        rounds,
        (round) => round.send.loops.idle,
        'itself, alone',
        (round) => round.idle.loops.idle,
      ),
    );
    probeRows.push(
      probeRow(
        `beside the ${label} send: the same GET, idle Node child`,
        rounds,
        'idle child',
        'itself, alone',
        'idle child',
      ),
    );

    const seconds = rounds.map((round) => round.seconds);
    const rate = (context.sizeMiB * 1024 * 1024) / median(seconds) / 1e6;
    const host = rounds.map((round) => round.send.loops.host);
    const cpuPerGiB = median(host.map((figures) => figures.cpuSeconds)) / (context.sizeMiB / 1024);
    const gcs =
      `${median(host.map((figures) => figures.gc.count))} (${median(host.map((figures) => figures.gc.full.count))} full), ` +
      `${ms(median(host.map((figures) => figures.gc.maxMs)))} ms`;
    const firsts = Object.keys(rounds[0]!.firstRequests).map(
      (probe) => `${probe} ${rounds.map((round) => ms(round.firstRequests[probe]!)).join(', ')}`,
    );
    firstRequestLines.push(`${label}: ${firsts.join('; ')}`);
    transferRows.push(
      `| ${label} | ${rounds[0]!.cipher} | ${rate.toFixed(0)} | ${seconds.map((value) => value.toFixed(2)).join(', ')} | ${updates} | ${cpuPerGiB.toFixed(2)} | ${gcs} |`,
    );
  }
  return `
\`npm run bench:host\` at ${context.commit}, ${context.startedAt.slice(0, 16).replace('T', ' ')} UTC, Node ${context.node}, ${context.sizeMiB} MiB v3 sends, ${context.rounds} rounds; host processes started with \`${context.nodeArgs.join(' ')}\`; load average ${context.loadAverage.before.toFixed(2)} before, ${context.loadAverage.after.toFixed(2)} after${context.warmUpRates ? `; free-memory warm-ups at ${context.warmUpRates}` : ''}.

Event-loop delay, ms (how late a 10 ms timer ran; medians over the rounds):

| ${context.sizeMiB} MiB v3 send | during the send: p50 / p99 / max | p99, each round | floor: p50 / p99 / max | floor | p99 ÷ floor |
| --- | ---: | --- | ---: | --- | ---: |
${loopRows.join('\n')}

Round trips of a tiny request every 50 ms, ms (every round's samples pooled):

| ${context.sizeMiB} MiB v3 send | during the send: p50 / p99 / max | p99, each round | floor: p50 / p99 / max | floor | p99 ÷ floor |
| --- | ---: | --- | ---: | --- | ---: |
${probeRows.join('\n')}

| configuration | cipher in the host | MB/s (median) | runs (s) | updates heard (median) | host CPU-s per GiB | host GCs during the send: count (full), longest (medians) |
| --- | --- | ---: | --- | ---: | ---: | ---: |
${transferRows.join('\n')}

The first request each probe made to a fresh host (after its warm-up send, outside the windows above), ms, each round: ${firstRequestLines.join('. ')}.
`;
}
