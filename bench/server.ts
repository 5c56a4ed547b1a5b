/**
 * `npm run bench:server`: the media server against the local stack (`npm run stack -- up`; started
 * here if it is not running).
 *
 * 1. Upload throughput of a 1 GiB generated upload through the stack's nginx to the media server, as a
 *    streamed PUT, as one tus PATCH (as the engine sends) and as tus PATCHes of 64 MiB (Upload-Length
 *    declared on the first), beside a baseline
 *    measured in the same run: a PUT of the same body to a private nginx that writes it to disk itself
 *    (WebDAV module; bench/server-baseline.ts), directly and through a second nginx with the media
 *    locations' directives (the same proxy hop the media server sits behind), and a Node floor: a Node
 *    process that only writes the body to a file (bench/server-node-floor.ts), what the platform costs
 *    before the media server does its own work. One raw Node HTTP client for all of them.
 * 2. Fan-out: 1, 10 and 50 readers of one 256 MiB upload in progress (they ask right after /create,
 *    then the uploader PUTs at full speed): per-reader throughput, time to first byte, the media
 *    server's RSS (VmRSS of its process, sampled every 10 ms from a worker thread).
 *
 * The machine is shared and noisy: every measurement is repeated in rounds that visit each
 * configuration in turn, in a rotating order, after a `sync` so no one inherits another's dirty pages;
 * figures are medians over the rounds. Completed media cannot be deleted through the API, so after each
 * measurement the benchmark removes its own uploads from the stack's store (bench/server-cleanup.ts), as
 * the baseline deletes its file: nothing accumulates, and every configuration writes into freed memory.
 *
 *   npm run bench:server              full run (about 5 minutes on 2 cores)
 *   npm run bench:server -- --quick   small sizes, one round, to check the harness
 *   --only upload | --only fanout     one part (while tuning); --drop-caches empties the page cache too
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { mediaServerFiles } from '../scripts/stack/media-server.js';
import { stackUp } from '../scripts/stack/stack.js';
import { registerUser, type StackInfo } from '../tests/support/stack.js';
import { removeBenchUploads } from './server-cleanup.js';
import { FreeMemoryWarmUp } from './free-memory-warm-up.js';
import { sampleRss, startBaselineNginx, startProxyFront, type RssSampler } from './server-baseline.js';
import { startNodeFloor } from './server-node-floor.js';
import { exchange, expectStatus, read, type ReaderResult } from './server-http.js';

const quick = process.argv.includes('--quick');
/** `--only upload` or `--only fanout` runs one part (while tuning); the documented figures come from both. */
const only = process.argv[process.argv.indexOf('--only') + 1];
const runUploads = !process.argv.includes('--only') || only === 'upload';
const runFanOut = !process.argv.includes('--only') || only === 'fanout';
const MiB = 2 ** 20;
const MB = 1e6;
const UPLOAD_BYTES = (quick ? 64 : 1024) * MiB;
const PATCH_BYTES = (quick ? 16 : 64) * MiB;
const UPLOAD_ROUNDS = runUploads ? (quick ? 1 : 5) : 0;
const FANOUT_BYTES = (quick ? 32 : 256) * MiB;
const FANOUT_READERS = [1, 10, 50];
const FANOUT_ROUNDS = runFanOut ? (quick ? 1 : 3) : 0;
const TUS_PREFIX = '/_matrix/media/unstable/org.matrix.msc4016/upload';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
const rate = (bytes: number, ms: number): number => bytes / MB / (ms / 1000);
const mib = (bytes: number): string => (bytes / MiB).toFixed(0);
const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);
/**
 * Before each measurement: flush everyone's dirty pages, so no measurement pays for the writeback of the
 * previous one. `--drop-caches` (root only) also empties the page cache; on these virtual machines that
 * makes the host take the freed memory back, and the next writes pay for faulting it in again.
 */
const canDropCaches = process.argv.includes('--drop-caches') && process.getuid?.() === 0;
/**
 * Then, unless `--no-warm-up`: write and delete a scratch file as large as the measurement's new page
 * cache (bench/free-memory-warm-up.ts), so every configuration writes into recently used memory, not
 * into memory the virtual machine's host has taken back; its rate is logged and its range reported.
 */
const warmUp = process.argv.includes('--no-warm-up')
  ? undefined
  : new FreeMemoryWarmUp(resolve('.cache/bench'), (line) => process.stderr.write(`${line}\n`));
const warmUpNote = (): string =>
  warmUp
    ? ` and the writing and deletion of a scratch file of 1.5 × the upload (2 × for fan-out) to level the state of free ` +
      `memory (bench/free-memory-warm-up.ts; written at ${warmUp.rateRange})`
    : ' (no free-memory warm-up)';
async function settle(newPageCacheBytes: number): Promise<void> {
  execFileSync('sync');
  if (canDropCaches) writeFileSync('/proc/sys/vm/drop_caches', '1');
  await warmUp?.run(newPageCacheBytes);
}

// Restarts the stack's media server if its code changed: the figures must be this checkout's.
const stack: StackInfo = await stackUp((line) => console.error(`stack: ${line}`), { restartStaleMediaServer: true });
if (stack.mediaBackend !== 'slipstream' || stack.pids.mediaServer === undefined) {
  throw new Error(`the stack routes media to ${stack.mediaBackend}, not to Slipstream's media server`);
}
const user = await registerUser(stack, `bench-${Date.now().toString(36)}`);
const auth = { Authorization: `Bearer ${user.accessToken}` };
const rss: RssSampler = sampleRss(stack.pids.mediaServer);
const baseline = await startBaselineNginx();
const proxyFront = await startProxyFront(baseline.url);
const nodeFloor = await startNodeFloor();
let stopping = false;
const cleanUp = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([proxyFront.stop(), baseline.stop(), nodeFloor.stop(), rss.close()]);
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)));

async function createMedia(): Promise<string> {
  const created = expectStatus(
    '/create',
    await exchange({ method: 'POST', url: `${stack.baseUrl}/_matrix/media/v1/create`, headers: auth, json: {} }),
    200,
  );
  const uri = (JSON.parse(created.body) as { content_uri: string }).content_uri;
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/** Cancels an upload that did not complete (tus termination), so a failed run leaves no partial data. */
async function cancel(mediaId: string): Promise<void> {
  await exchange({
    method: 'DELETE',
    url: `${stack.baseUrl}${TUS_PREFIX}/${stack.serverName}/${mediaId}`,
    headers: { ...auth, 'Tus-Resumable': '1.0.0' },
  }).catch(() => undefined);
}

/** Checks, untimed, that the media server holds the whole upload. */
async function expectStored(mediaId: string, bytes: number): Promise<void> {
  const head = expectStatus(
    'HEAD download',
    await exchange({
      method: 'HEAD',
      url: `${stack.baseUrl}/_matrix/client/v1/media/download/${stack.serverName}/${mediaId}`,
      headers: auth,
    }),
    200,
  );
  if (Number(head.headers['content-length']) !== bytes) {
    throw new Error(`media ${mediaId} holds ${head.headers['content-length']} bytes, not ${bytes}`);
  }
}

const putUrl = (mediaId: string): string => `${stack.baseUrl}/_matrix/media/v3/upload/${stack.serverName}/${mediaId}`;

/** A streamed PUT of `bytes` through nginx to the media server; milliseconds from request to response. */
async function mediaPut(bytes: number): Promise<number> {
  const mediaId = await createMedia();
  let done = false;
  try {
    const response = expectStatus(
      'PUT',
      await exchange({
        method: 'PUT',
        url: putUrl(mediaId),
        headers: { ...auth, 'Content-Type': 'application/octet-stream' },
        bodyBytes: bytes,
      }),
      200,
    );
    done = true;
    await expectStored(mediaId, bytes);
    return response.ended - response.started;
  } finally {
    if (!done) await cancel(mediaId);
  }
}

/**
 * tus PATCHes of `patchBytes` over one kept-alive connection, the length declared on the first; through
 * the stack's nginx, or `direct` to the media server's own listener (the server against nginx's own
 * writer, without the deployment's proxy hop in front of it).
 */
async function mediaTus(bytes: number, patchBytes: number, direct = false): Promise<number> {
  const mediaId = await createMedia();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let done = false;
  try {
    const started = performance.now();
    for (let offset = 0; offset < bytes;) {
      const length = Math.min(patchBytes, bytes - offset);
      const response = expectStatus(
        `PATCH at ${offset}`,
        await exchange({
          method: 'PATCH',
          url: `${direct ? stack.mediaServerUrl : stack.baseUrl}${TUS_PREFIX}/${stack.serverName}/${mediaId}`,
          headers: {
            ...auth,
            'Tus-Resumable': '1.0.0',
            'Upload-Offset': offset,
            ...(offset === 0 && { 'Upload-Length': bytes }),
            'Content-Type': 'application/offset+octet-stream',
          },
          bodyBytes: length,
          bodyOffset: offset,
          agent,
        }),
        204,
      );
      offset += length;
      if (Number(response.headers['upload-offset']) !== offset) {
        throw new Error(`PATCH acknowledged ${response.headers['upload-offset']}, expected ${offset}`);
      }
    }
    const elapsed = performance.now() - started;
    done = true;
    await expectStored(mediaId, bytes);
    return elapsed;
  } finally {
    agent.destroy();
    if (!done) await cancel(mediaId);
  }
}

/** Per round: the baseline PUT plus an fdatasync of the file it wrote. */
const baselineDurableMs: number[] = [];

/**
 * The same PUT to the baseline nginx, which writes the body to a file (deleted after), either directly or
 * through the proxy front that has the media locations' directives.
 */
async function baselinePut(bytes: number, round: number, via: 'direct' | 'proxied'): Promise<number> {
  const url = `${via === 'direct' ? baseline.url : proxyFront.url}/upload/bench-${round}-${via}.bin`;
  try {
    const response = expectStatus(
      'baseline PUT',
      await exchange({
        method: 'PUT',
        url,
        headers: { 'Content-Type': 'application/octet-stream' },
        bodyBytes: bytes,
      }),
      201,
      204,
    );
    if (via === 'direct') {
      // The same body made durable: fdatasync the file, the cost the media server pays every 8 MiB.
      execFileSync('sync', ['--data', join(baseline.directory, 'upload', `bench-${round}-${via}.bin`)]);
      baselineDurableMs.push(performance.now() - response.started);
    }
    return response.ended - response.started;
  } finally {
    await exchange({ method: 'DELETE', url }).catch(() => undefined);
  }
}

/** The same PUT to the Node floor (bench/server-node-floor.ts): node:http writing the body to a file, nothing else. */
async function nodeFloorPut(bytes: number, round: number): Promise<number> {
  const url = `${nodeFloor.url}/upload/bench-${round}.bin`;
  try {
    const response = expectStatus(
      'Node floor PUT',
      await exchange({ method: 'PUT', url, headers: { 'Content-Type': 'application/octet-stream' }, bodyBytes: bytes }),
      201,
    );
    return response.ended - response.started;
  } finally {
    await exchange({ method: 'DELETE', url }).catch(() => undefined);
  }
}

interface UploadConfiguration {
  readonly label: string;
  readonly run: (bytes: number, round: number) => Promise<number>;
  /** A baseline, not the media server: no RSS of the media server to report, not compared with the floor. */
  readonly baseline?: true;
}
const uploadConfigurations: UploadConfiguration[] = [
  {
    label: 'baseline: nginx PUT to disk (dav_methods PUT), no proxy',
    run: (b, r) => baselinePut(b, r, 'direct'),
    baseline: true,
  },
  {
    label: 'baseline behind the same proxy hop: nginx (media location directives) → nginx PUT to disk',
    run: (b, r) => baselinePut(b, r, 'proxied'),
    baseline: true,
  },
  {
    label: 'Node floor: node:http writing the body to disk, nothing else (no auth, tus, fsync or proxy)',
    run: nodeFloorPut,
    baseline: true,
  },
  { label: 'streamed PUT, nginx → media server', run: (bytes) => mediaPut(bytes) },
  {
    label: 'tus, one PATCH (as the engine sends), nginx → media server',
    run: (bytes) => mediaTus(bytes, Number.POSITIVE_INFINITY),
  },
  {
    label: `tus PATCH × ${mib(PATCH_BYTES)} MiB, nginx → media server`,
    run: (bytes) => mediaTus(bytes, PATCH_BYTES),
  },
  {
    label: 'tus, one PATCH, straight to the media server (no proxy hop)',
    run: (bytes) => mediaTus(bytes, Number.POSITIVE_INFINITY, true),
  },
];

interface FanOutRound {
  readonly uploadMBps: number;
  readonly readers: readonly ReaderResult[];
  readonly wallMs: number;
  readonly rssBefore: number;
  readonly rssPeak: number;
}

/** One upload in progress, `readers` readers started right after /create, the uploader right after them. */
async function fanOut(readers: number, bytes: number): Promise<FanOutRound> {
  const mediaId = await createMedia();
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  let done = false;
  try {
    const rssBefore = await rss.reset();
    const started = performance.now();
    const url = `${stack.baseUrl}/_matrix/client/v1/media/download/${stack.serverName}/${mediaId}?timeout_ms=60000`;
    const readings = Array.from({ length: readers }, (_, i) => read(url, auth, agent, i === 0));
    const upload = exchange({
      method: 'PUT',
      url: putUrl(mediaId),
      headers: { ...auth, 'Content-Type': 'application/octet-stream' },
      bodyBytes: bytes,
    });
    const [uploaded, results] = await Promise.all([upload, Promise.all(readings)]);
    const wallMs = performance.now() - started;
    expectStatus('fan-out PUT', uploaded, 200);
    done = true;
    for (const result of results) {
      if (result.status !== 200 || result.bytes !== bytes || result.verified === false) {
        throw new Error(
          `a reader got HTTP ${result.status}, ${result.bytes} of ${bytes} bytes${result.verified === false ? ', corrupted' : ''}`,
        );
      }
    }
    return {
      uploadMBps: rate(bytes, uploaded.ended - uploaded.started),
      readers: results,
      wallMs,
      rssBefore,
      rssPeak: await rss.peak(),
    };
  } finally {
    agent.destroy();
    if (!done) await cancel(mediaId);
  }
}

const startedAt = new Date();
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const loadBefore = loadavg().map((l) => l.toFixed(2));

try {
  // Warm-up, untimed: tsx has compiled every module, the JIT has seen every path, nginx's workers run.
  process.stderr.write('warm-up\n');
  for (const { run } of uploadConfigurations) await run(16 * MiB, -1);
  await fanOut(10, 16 * MiB);
  await removeBenchUploads(mediaServerFiles.dataDir, user.userId);
  baselineDurableMs.length = 0;

  const uploadSamples = uploadConfigurations.map(() => [] as number[]);
  const uploadRss = uploadConfigurations.map(() => [] as number[]);
  const uploadRssGrowth = uploadConfigurations.map(() => [] as number[]);
  let uploadRssBefore = Number.POSITIVE_INFINITY;
  for (let round = 0; round < UPLOAD_ROUNDS; round++) {
    for (const index of rotate([...uploadConfigurations.keys()], round)) {
      const { label, run } = uploadConfigurations[index]!;
      await settle(UPLOAD_BYTES + UPLOAD_BYTES / 2);
      const before = await rss.reset();
      uploadRssBefore = Math.min(uploadRssBefore, before);
      const ms = await run(UPLOAD_BYTES, round);
      uploadSamples[index]!.push(rate(UPLOAD_BYTES, ms));
      const peak = await rss.peak();
      uploadRss[index]!.push(peak);
      uploadRssGrowth[index]!.push(peak - before);
      await removeBenchUploads(mediaServerFiles.dataDir, user.userId);
      process.stderr.write(
        `upload round ${round + 1}/${UPLOAD_ROUNDS}: ${label}: ${rate(UPLOAD_BYTES, ms).toFixed(0)} MB/s\n`,
      );
    }
  }

  const fanOutRounds = new Map<number, FanOutRound[]>(FANOUT_READERS.map((n) => [n, []]));
  for (let round = 0; round < FANOUT_ROUNDS; round++) {
    for (const readers of rotate(FANOUT_READERS, round)) {
      await settle(FANOUT_BYTES * 2);
      const result = await fanOut(readers, FANOUT_BYTES);
      fanOutRounds.get(readers)!.push(result);
      await removeBenchUploads(mediaServerFiles.dataDir, user.userId);
      process.stderr.write(
        `fan-out round ${round + 1}/${FANOUT_ROUNDS}: ${readers} readers: upload ${result.uploadMBps.toFixed(0)} MB/s, ` +
          `per reader ${median(result.readers.map((r) => rate(r.bytes, r.totalMs))).toFixed(0)} MB/s, ` +
          `TTFB max ${Math.max(...result.readers.map((r) => r.firstByteMs)).toFixed(0)} ms, ` +
          `RSS ${mib(result.rssBefore)} → ${mib(result.rssPeak)} MiB\n`,
      );
    }
  }

  const command = `npm run bench:server${quick ? ' -- --quick' : ''}`;
  console.log(
    `\n\`${command}\` — ${startedAt.toISOString()}, commit ${commit}, Node ${process.version}, nginx ${baseline.version}, ` +
      `${availableParallelism()} cores, load average before ${loadBefore.join(' / ')}, after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}.`,
  );
  console.log(
    `\nMethod: one raw Node HTTP client (node:http, generated body from one random 1 MiB chunk written with ` +
      `backpressure, Content-Length declared) on 127.0.0.1 for every configuration. The media server runs as the ` +
      `stack runs it (\`slipstream serve\`, batched writes, fdatasync and offset recorded every 8 MiB beside the ` +
      `following writes and at the end of each body), behind the stack's nginx (the media locations of ` +
      `docs/deploy.md: proxy_request_buffering off, 256k buffers). The baseline is a private nginx (same binary, ` +
      `one worker) whose \`dav_methods PUT\` location writes the body into a temp file as it arrives and renames it ` +
      `into place (no fsync, no proxy hop); "+ fdatasync" adds an fdatasync of that file after the response ` +
      `(\`sync --data\`); "behind the same proxy hop" sends the same PUT through a second private nginx whose ` +
      `location has exactly the media locations' directives, to the baseline nginx; the Node floor is a private ` +
      `Node process (the media server's V8 options) whose node:http server writes each PUT's body to a file as it ` +
      `arrives, batched into FileHandle.writev as the media server batches, and nothing else (bench/server-node-floor.ts): ` +
      `what any Node server pays before doing its own work; the last row sends one tus PATCH ` +
      `straight to the media server's own listener, without the proxy hop. Every configuration's file ` +
      `is deleted after it is measured (the media server's through bench/server-cleanup.ts). Time is from issuing ` +
      `the request to the end of the response (for tus, the first ` +
      `PATCH to the last response: one PATCH of the whole upload, as the engine sends, or ${mib(PATCH_BYTES)} MiB PATCHes on one kept-alive connection, Upload-Length on the first). ` +
      `Each measurement follows a \`sync\`${canDropCaches ? ' and a drop of the page cache' : ''}${warmUpNote()}; ${UPLOAD_ROUNDS} rounds visit the configurations in a rotating order; ` +
      `MB/s = 10^6 bytes/s, medians over the rounds. Fan-out: per round and reader count, /create, then N ` +
      `readers GET the authenticated download (timeout_ms=60000) through nginx, then the same client PUTs ` +
      `${mib(FANOUT_BYTES)} MiB at full speed; a reader's throughput is its bytes over its request's whole life, ` +
      `TTFB from its request to its first body byte; reader 1 checks every byte. RSS is the media server's VmRSS, ` +
      `sampled every 10 ms from a worker thread (growth: peak minus the value at the start of the same measurement). ${FANOUT_ROUNDS} rounds in rotating order; TTFB max and RSS peak ` +
      `are the worst over the rounds, other figures medians of the per-round medians.`,
  );

  const baselineRate = median(uploadSamples[0]!);
  const proxiedRate = median(uploadSamples[1]!);
  const durableRates = baselineDurableMs.map((ms) => rate(UPLOAD_BYTES, ms));
  const durableRate = median(durableRates);
  const percent = (value: number, of: number): string => `${((100 * value) / of).toFixed(0)}%`;
  if (runUploads) {
    console.log(
      `\nUpload of ${mib(UPLOAD_BYTES)} MiB (media server RSS before, lowest: ${mib(uploadRssBefore)} MiB)\n`,
    );
    console.log(
      '| configuration | MB/s (median) | runs, MB/s | ÷ baseline | ÷ baseline + fdatasync | ÷ baseline behind the proxy hop | media server RSS peak (growth), worst |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const row = (label: string, rates: number[], peak: string): void =>
      console.log(
        `| ${label} | ${median(rates).toFixed(0)} | ${rates.map((r) => r.toFixed(0)).join(', ')} | ` +
          `${percent(median(rates), baselineRate)} | ${percent(median(rates), durableRate)} | ` +
          `${percent(median(rates), proxiedRate)} | ${peak} |`,
      );
    row(uploadConfigurations[0]!.label, uploadSamples[0]!, '—');
    row('baseline + fdatasync of the file (same PUTs)', durableRates, '—');
    row(uploadConfigurations[1]!.label, uploadSamples[1]!, '—');
    for (const [index, { label, baseline: isBaseline }] of uploadConfigurations.entries()) {
      if (index > 1) {
        const growth = Math.max(...uploadRssGrowth[index]!);
        const peak = isBaseline ? '—' : `${mib(Math.max(...uploadRss[index]!))} MiB (+${mib(growth)} MiB)`;
        row(label, uploadSamples[index]!, peak);
      }
    }
    const floorIndex = uploadConfigurations.findIndex(({ run }) => run === nodeFloorPut);
    const floorRate = median(uploadSamples[floorIndex]!);
    const againstFloor = uploadConfigurations
      .flatMap(({ label, baseline: isBaseline }, index) =>
        isBaseline ? [] : [`${label}: ${percent(median(uploadSamples[index]!), floorRate)}`],
      )
      .join('; ');
    console.log(`\nThe media server ÷ the Node floor: ${againstFloor}.`);
  }

  if (runFanOut) {
    console.log(`\nFan-out: readers of one ${mib(FANOUT_BYTES)} MiB upload in progress\n`);
    console.log(
      '| readers | upload MB/s | per-reader MB/s (median) | all readers, MB/s | TTFB median | TTFB max | RSS before | RSS peak | RSS growth, worst |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const readers of FANOUT_READERS) {
      const rounds = fanOutRounds.get(readers)!;
      const perReader = median(rounds.map((r) => median(r.readers.map((x) => rate(x.bytes, x.totalMs)))));
      const aggregate = median(rounds.map((r) => rate(readers * FANOUT_BYTES, r.wallMs)));
      const ttfbMedian = median(rounds.map((r) => median(r.readers.map((x) => x.firstByteMs))));
      const ttfbMax = Math.max(...rounds.flatMap((r) => r.readers.map((x) => x.firstByteMs)));
      console.log(
        `| ${readers} | ${median(rounds.map((r) => r.uploadMBps)).toFixed(0)} | ${perReader.toFixed(0)} | ` +
          `${aggregate.toFixed(0)} | ${ttfbMedian.toFixed(0)} ms | ${ttfbMax.toFixed(0)} ms | ` +
          `${mib(median(rounds.map((r) => r.rssBefore)))} MiB | ${mib(Math.max(...rounds.map((r) => r.rssPeak)))} MiB | ` +
          `+${mib(Math.max(...rounds.map((r) => r.rssPeak - r.rssBefore)))} MiB |`,
      );
    }
  }
} finally {
  await cleanUp();
}
