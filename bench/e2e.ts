/**
 * `npm run bench:e2e`: Slipstream's streaming transfer against the path every Matrix client takes
 * today, end to end on loopback through the local stack (Synapse, nginx, the media server).
 *
 *   1. disk-to-disk time for a 1 GiB file: Slipstream (the receiver starts as soon as the event
 *      content exists) vs the classic path as Element does it (read the whole file, v2-encrypt it in
 *      memory, upload it in one request; only then download, verify, decrypt, write) vs an unencrypted
 *      baseline (curl PUT with a concurrent curl download of the same media, through the same stack),
 *      also timed to an fdatasync of its download, since Slipstream's receiver makes its file durable;
 *      and the same two requests from two Node processes (bench/e2e-node-floor.ts): what Node costs
 *      before Slipstream does anything of its own;
 *   2. time from the start of sending to the receiver's first decrypted byte;
 *   3. peak RSS (VmHWM) of the sending and the receiving process for a 4 GiB file, beside the classic
 *      path's;
 *   4. time to the first byte of a 1 MiB range in the middle of a 1 GiB file not yet downloaded;
 *   5. with 1: the CPU-seconds per GiB of each process of a Slipstream and a baseline transfer
 *      (bench/process-cpu.ts), since on two shared cores time follows CPU.
 *
 * Every side runs in its own process, started and ready before its clock starts; the peers start as
 * the CLI does, with its V8 options (main/core/node-flags.ts). Rounds rotate the
 * order; figures are medians. Environment: SLIPSTREAM_BENCH_MIB (1024), SLIPSTREAM_BENCH_ROUNDS (3),
 * SLIPSTREAM_BENCH_RSS_MIB (4096), SLIPSTREAM_BENCH_SEEKS (25); SLIPSTREAM_BENCH_MEMORY_TRACE,
 * SLIPSTREAM_BENCH_CIPHER and SLIPSTREAM_BENCH_TUS_CHUNK_MIB, see e2e-peer.ts; SLIPSTREAM_BENCH_PEER_ARGS
 * (more Node options for the peers: what they print besides their messages, e.g. `--trace-gc`, goes to
 * .cache/bench/e2e/peer-<role>-<pid>.log); SLIPSTREAM_BENCH_NODE_FLAGS (the V8 options instead of the
 * CLI's, "" for none, for comparisons); SLIPSTREAM_BENCH_WARM_UP=0 (no free-memory warm-up before each
 * timed transfer, see `warmUp`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeSampleFile, sha256OfFile } from '../scripts/lib/sample-file.js';
import { stackUp } from '../scripts/stack/stack.js';
import { mediaServerFiles } from '../scripts/stack/media-server.js';
import { registerUser, type MatrixUser } from '../scripts/stack/users.js';
import { removeBenchUploads } from './server-cleanup.js';
import { FreeMemoryWarmUp } from './free-memory-warm-up.js';
import { runTimed, serverCpu, serverCpuSince } from './process-cpu.js';
import { nodeFloorClient } from './e2e-node-floor.js';
import type { StackInfo } from '../scripts/stack/stack-info.js';
import { MediaRepositoryClient } from '../main/core/transfer/media-repository-client.js';
import { bundlePeers } from './bundle-peers.js';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env['SLIPSTREAM_BENCH_MIB'] ?? 1024);
const rounds = Number(process.env['SLIPSTREAM_BENCH_ROUNDS'] ?? 3);
const rssMiB = Number(process.env['SLIPSTREAM_BENCH_RSS_MIB'] ?? 4096);
const seeks = Number(process.env['SLIPSTREAM_BENCH_SEEKS'] ?? 25);
/** SLIPSTREAM_BENCH_ONLY=time,first-byte,seek,rss runs just those parts (all by default). */
const only = new Set((process.env['SLIPSTREAM_BENCH_ONLY'] ?? 'time,first-byte,seek,rss').split(','));
const root = resolve('.cache/bench/e2e');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface PeerMessage {
  type: 'ready' | 'event' | 'done';
  at: number;
  started?: number;
  firstByteAt?: number;
  event?: unknown;
  status?: string;
  failure?: unknown;
  savedPath?: string;
  peakRss?: number;
  timings?: number[];
  /** A Slipstream peer's CPU-seconds for the transfer, all its threads. */
  cpuSeconds?: number;
}

class Peer {
  private readonly messages: PeerMessage[] = [];
  private readonly waiters: { type: string; resolve: (message: PeerMessage) => void }[] = [];
  private readonly child;
  private stderr = '';

  constructor(role: string, args: string[]) {
    // Peers start as the CLI does, with its V8 options (main/core/node-flags.ts), unless
    // SLIPSTREAM_BENCH_NODE_FLAGS says otherwise ("" for none); SLIPSTREAM_BENCH_PEER_ARGS adds Node
    // options (e.g. "--cpu-prof --cpu-prof-dir=…").
    const words = (text: string | undefined): string[] => (text ?? '').split(' ').filter(Boolean);
    const flags = process.env['SLIPSTREAM_BENCH_NODE_FLAGS'];
    const nodeArgs = [
      ...(flags === undefined ? SLIPSTREAM_NODE_FLAGS : words(flags)),
      ...words(process.env['SLIPSTREAM_BENCH_PEER_ARGS']),
    ];
    this.child = spawn(process.execPath, [...nodeArgs, PEER_BUNDLE, role, ...args], {
      // The bundle lives outside main/core/codec: it is told where the native cipher is, if built.
      env: {
        ...process.env,
        SLIPSTREAM_NATIVE_CIPHER_PATH: resolve('main/core/codec/native/build/Release/msc4016_cipher.node'),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      // Anything else a peer prints (Node's --trace-gc, say) goes to a log of its own.
      if (!line.startsWith('{'))
        return void appendFileSync(join(root, `peer-${role}-${this.child.pid}.log`), `${line}\n`);
      const message = JSON.parse(line) as PeerMessage;
      const waiter = this.waiters.find((candidate) => candidate.type === message.type);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else this.messages.push(message);
    });
    this.child.on('close', (code) => {
      this.exit = `exited ${code}: ${this.stderr}`;
      for (const waiter of this.waiters.splice(0)) waiter.resolve({ type: 'done', at: 0, status: this.exit });
    });
  }

  /** Why the peer process ended, once it has: any later wait for a message fails with it. */
  private exit: string | undefined;

  next(type: PeerMessage['type']): Promise<PeerMessage> {
    const index = this.messages.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.messages.splice(index, 1)[0]!);
    if (this.exit !== undefined) return Promise.reject(new Error(`the ${type} never came: the peer ${this.exit}`));
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  go(command: object): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** No more commands: the peer finishes and exits. */
  end(): void {
    this.child.stdin.end();
  }
}

const median = (values: number[]): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface TransferRun {
  seconds: number;
  firstByteMs: number | undefined;
  senderPeakRss: number;
  receiverPeakRss: number;
  /** CPU-seconds of the transfer by process (Slipstream: both peers and the servers). */
  cpu: CpuSplit;
}

/** CPU-seconds of one measured transfer by process; `clients` are the peers (or the two curls). */
interface CpuSplit {
  readonly sender?: number;
  readonly receiver?: number;
  readonly clients: number;
  readonly mediaServer: number;
  readonly nginx: number;
}

async function fresh(name: string): Promise<string> {
  const path = join(root, name);
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
  return path;
}

/** One transfer between two running peers: start the sender, hand the event to the receiver when it exists. */
async function transferBetween(
  sender: Peer,
  receiver: Peer,
  source: string,
  stack: StackInfo,
  alice: MatrixUser,
  bob: MatrixUser,
  last: boolean,
): Promise<TransferRun & { savedPath: string }> {
  const serverBefore = serverCpu(stack.pids);
  sender.go({ homeserverUrl: stack.baseUrl, accessToken: alice.accessToken, path: source });
  const event = await sender.next('event');
  receiver.go({ homeserverUrl: stack.baseUrl, accessToken: bob.accessToken, event: event.event });
  const [sent, received] = await Promise.all([
    sender.next('done').then((message) => {
      // A sender with nothing more to send exits at once: the classic one holds the whole file twice.
      if (last) sender.end();
      return message;
    }),
    receiver.next('done'),
  ]);
  if (sent.status !== 'completed' || received.status !== 'completed') {
    throw new Error(`transfer failed: ${JSON.stringify(sent)} ${JSON.stringify(received)}`);
  }
  const started = event.started!;
  const server = serverCpuSince(serverBefore, stack.pids);
  const [senderCpu, receiverCpu] = [sent.cpuSeconds ?? NaN, received.cpuSeconds ?? NaN];
  return {
    cpu: { sender: senderCpu, receiver: receiverCpu, clients: senderCpu + receiverCpu, ...server },
    seconds: (received.at - started) / 1000,
    firstByteMs: received.firstByteAt === undefined ? undefined : received.firstByteAt - started,
    senderPeakRss: sent.peakRss!,
    receiverPeakRss: received.peakRss!,
    savedPath: received.savedPath!,
  };
}

/**
 * Either path, each side in a fresh process. Slipstream's peers first make one small warm-up transfer,
 * as a running app has made before: the measured one then pays no first-use costs (the secret-store key
 * file, JIT compilation, the server's first token check), which no user of a running app sees twice.
 */
async function transfer(
  kind: 'slip' | 'classic',
  source: string,
  stack: StackInfo,
  alice: MatrixUser,
  bob: MatrixUser,
): Promise<TransferRun> {
  const inbox = await fresh(`${kind}-inbox`);
  const sender = new Peer(`${kind}-send`, kind === 'slip' ? [await fresh(`${kind}-sender`)] : [source]);
  const receiver = new Peer(`${kind}-receive`, kind === 'slip' ? [await fresh(`${kind}-receiver`), inbox] : [inbox]);
  await Promise.all([sender.next('ready'), receiver.next('ready')]);
  if (kind === 'slip') {
    const warmUp = await transferBetween(sender, receiver, await sample(1), stack, alice, bob, false);
    await rm(warmUp.savedPath, { force: true });
  }
  const run = await transferBetween(sender, receiver, source, stack, alice, bob, true);
  receiver.end();
  // Checked outside the timing: the benchmark only counts transfers that delivered the file.
  if ((await stat(run.savedPath)).size !== (await stat(source)).size) throw new Error(`${kind}: size differs`);
  if (source.includes(`${sizeMiB}MiB`) && (await sha256OfFile(run.savedPath)) !== (await sha256OfFile(source))) {
    throw new Error(`${kind}: the received file differs`);
  }
  await rm(inbox, { recursive: true, force: true });
  return run;
}

/** Runs curl; resolves with its CPU-seconds. */
function curl(args: string[]): Promise<number> {
  return runTimed(['curl', '-sS', '--fail', ...args], 'curl');
}

/**
 * The unencrypted floor: curl PUTs the file while another curl downloads the same media. The issue's
 * baseline ends when the curls do, its download still in the page cache; `durableSeconds` adds an
 * fdatasync of the downloaded file, as Slipstream's receiver makes its file durable before it is done.
 * With `via` 'node', the same two requests come from two Node processes (bench/e2e-node-floor.ts).
 */
async function baseline(
  source: string,
  stack: StackInfo,
  alice: MatrixUser,
  bob: MatrixUser,
  via: 'curl' | 'node' = 'curl',
): Promise<{ seconds: number; durableSeconds: number; cpu: CpuSplit }> {
  const client = new MediaRepositoryClient({ homeserverUrl: stack.baseUrl, accessToken: alice.accessToken });
  const media = (await client.create())!;
  const out = join(await fresh('baseline'), 'download.bin');
  const serverBefore = serverCpu(stack.pids);
  const uploadUrl = `${stack.baseUrl}/_matrix/media/v3/upload/${media.serverName}/${media.mediaId}`;
  const downloadUrl = `${stack.baseUrl}/_matrix/client/v1/media/download/${media.serverName}/${media.mediaId}?timeout_ms=60000`;
  const started = performance.now();
  const clientCpu = await Promise.all(
    via === 'node'
      ? [
          nodeFloorClient('put', source, uploadUrl, alice.accessToken),
          nodeFloorClient('get', out, downloadUrl, bob.accessToken),
        ]
      : [
          curl([
            '-T',
            source,
            '-H',
            `Authorization: Bearer ${alice.accessToken}`,
            '-H',
            'Content-Type: application/octet-stream',
            uploadUrl,
          ]),
          curl(['-o', out, '-H', `Authorization: Bearer ${bob.accessToken}`, downloadUrl]),
        ],
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = { clients: clientCpu[0]! + clientCpu[1]!, ...serverCpuSince(serverBefore, stack.pids) };
  execFileSync('sync', ['--data', out]);
  const durableSeconds = (performance.now() - started) / 1000;
  if ((await stat(out)).size !== (await stat(source)).size) throw new Error(`baseline (${via}): size differs`);
  return { seconds, durableSeconds, cpu };
}

async function sample(mib: number): Promise<string> {
  const path = join(root, `sample-${mib}MiB.bin`);
  const exists = await stat(path).then(
    (s) => s.size === mib * MiB,
    () => false,
  );
  if (!exists) {
    log(`making a ${mib} MiB sample file`);
    await makeSampleFile(path, mib * MiB);
  }
  return path;
}

async function memAvailableBytes(): Promise<number> {
  return Number(/MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
}

/**
 * The peers run as one bundled JavaScript file, as the app's main process does, not through the
 * TypeScript loader: tsx alone adds about 65 MB of resident memory, which is not Slipstream's.
 */
const PEER_BUNDLE = join(root, 'e2e-peer.js');
await mkdir(root, { recursive: true });
// The cipher worker is its own entry, beside the peer, where the worker pool looks for it.
await bundlePeers({ 'e2e-peer': 'bench/e2e-peer.ts', 'cipher-worker': 'main/core/codec/cipher-worker.ts' }, root);

const stack = await stackUp((line) => log(`stack: ${line}`));
const [alice, bob] = await Promise.all([registerUser(stack), registerUser(stack)]);
/**
 * Every measured transfer leaves complete media the API cannot delete (1–4 GiB each, and a run makes
 * a dozen): the sender's are removed from the stack's store after each one (bench/server-cleanup.ts).
 */
const forgetUploads = (): Promise<number> => removeBenchUploads(mediaServerFiles.dataDir, alice.userId);
const source = await sample(sizeMiB);
/**
 * Before each timed transfer (unless SLIPSTREAM_BENCH_WARM_UP=0): write and delete a scratch file of
 * twice the file's size, the new page cache of one transfer (the media server's copy and the received
 * file), so every path writes into recently used memory rather than memory the virtual machine's host
 * has taken back (bench/free-memory-warm-up.ts).
 */
const warmUp = process.env['SLIPSTREAM_BENCH_WARM_UP'] === '0' ? undefined : new FreeMemoryWarmUp(root, log);

const slip: TransferRun[] = [];
const classic: TransferRun[] = [];
const floor: number[] = [];
const floorDurable: number[] = [];
const floorCpu: CpuSplit[] = [];
const nodeFloor: number[] = [];
const nodeFloorDurable: number[] = [];
const nodeFloorCpu: CpuSplit[] = [];
const order = ['slip', 'classic', 'baseline', 'node-floor'] as const;
for (let round = 0; only.has('time') && round < rounds; round++) {
  for (let step = 0; step < order.length; step++) {
    const kind = order[(round + step) % order.length]!;
    await warmUp?.run(2 * sizeMiB * MiB);
    if (kind === 'baseline') {
      const run = await baseline(source, stack, alice, bob);
      floor.push(run.seconds);
      floorDurable.push(run.durableSeconds);
      floorCpu.push(run.cpu);
    } else if (kind === 'node-floor') {
      const run = await baseline(source, stack, alice, bob, 'node');
      nodeFloor.push(run.seconds);
      nodeFloorDurable.push(run.durableSeconds);
      nodeFloorCpu.push(run.cpu);
    } else (kind === 'slip' ? slip : classic).push(await transfer(kind, source, stack, alice, bob));
    await forgetUploads();
    const seconds = {
      baseline: floor,
      'node-floor': nodeFloor,
      slip: slip.map((r) => r.seconds),
      classic: classic.map((r) => r.seconds),
    }[kind];
    log(`round ${round + 1}: ${kind} ${seconds.at(-1)!.toFixed(2)} s`);
  }
}

// Time to first byte also on smaller files, for more samples of a figure that does not depend on size.
const firstBytes = slip.map((run) => run.firstByteMs!).filter((value) => value !== undefined);
const small = await sample(64);
for (let run = 0; only.has('first-byte') && run < 7; run++)
  firstBytes.push((await transfer('slip', small, stack, alice, bob)).firstByteMs!);

// Seeks into a 1 GiB upload that was never downloaded.
let seekTimings: number[] = [];
if (only.has('seek')) {
  const uploader = new Peer('slip-send', [await fresh('seek-sender')]);
  await uploader.next('ready');
  uploader.go({ homeserverUrl: stack.baseUrl, accessToken: alice.accessToken, path: source });
  const uploaded = await uploader.next('event');
  await uploader.next('done');
  uploader.end();
  const seeker = new Peer('seek', [await fresh('seek-receiver'), String(seeks)]);
  await seeker.next('ready');
  seeker.go({ homeserverUrl: stack.baseUrl, accessToken: bob.accessToken, event: uploaded.event });
  seekTimings = (await seeker.next('done')).timings!;
  await forgetUploads();
}

// Peak memory for a large file, on both paths (the classic one only if the machine can hold it twice).
let slipLarge: TransferRun | undefined;
let classicLarge: TransferRun | undefined;
if (only.has('rss')) {
  const large = await sample(rssMiB);
  slipLarge = await transfer('slip', large, stack, alice, bob);
  await forgetUploads();
  if ((await memAvailableBytes()) > 3.5 * rssMiB * MiB) {
    // The classic path is the comparison, not the subject: if it cannot carry this size, say so and
    // keep every other figure of the run.
    classicLarge = await transfer('classic', large, stack, alice, bob).catch((error: unknown) => {
      log(`the classic path failed at ${rssMiB} MiB: ${(error as Error).message.split('\n')[0]}`);
      return undefined;
    });
  } else log(`skipping the classic path at ${rssMiB} MiB: not enough free memory to hold it`);
  await forgetUploads();
}

const slipSeconds = median(slip.map((run) => run.seconds));
const classicSeconds = median(classic.map((run) => run.seconds));
const floorSeconds = median(floor);
const floorDurableSeconds = median(floorDurable);
const nodeFloorSeconds = median(nodeFloor);
const nodeFloorDurableSeconds = median(nodeFloorDurable);
const mb = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
const results = {
  sizeMiB,
  rounds,
  slipstream: { medianSeconds: slipSeconds, runs: slip.map((run) => run.seconds) },
  classic: { medianSeconds: classicSeconds, runs: classic.map((run) => run.seconds) },
  baseline: { medianSeconds: floorSeconds, runs: floor },
  baselineWithFdatasync: { medianSeconds: floorDurableSeconds, runs: floorDurable },
  nodeFloor: { medianSeconds: nodeFloorSeconds, runs: nodeFloor },
  nodeFloorWithFdatasync: { medianSeconds: nodeFloorDurableSeconds, runs: nodeFloorDurable },
  firstByteMs: { median: median(firstBytes), samples: firstBytes },
  seekFirstByteMs: { median: median(seekTimings), samples: seekTimings },
  cpuSeconds: { slipstream: slip.map((run) => run.cpu), baseline: floorCpu, nodeFloor: nodeFloorCpu },
  peakRss: {
    sizeMiB: rssMiB,
    slipSender: slipLarge?.senderPeakRss,
    slipReceiver: slipLarge?.receiverPeakRss,
    classicSender: classicLarge?.senderPeakRss,
    classicReceiver: classicLarge?.receiverPeakRss,
  },
};
await import('node:fs/promises').then((fs) =>
  fs.writeFile(join(root, 'results.json'), JSON.stringify(results, null, 2)),
);

/**
 * Where each path's CPU went, per GiB moved (medians over the rounds): on two cores shared by every
 * process of a transfer, what the clients spend is taken from the servers' share, and time follows.
 */
function cpuTable(): string {
  const perGiB = (seconds: number): string => (seconds / (sizeMiB / 1024)).toFixed(2);
  const row = (label: string, runs: readonly CpuSplit[], wall: number): string => {
    const pick = (field: (split: CpuSplit) => number | undefined): string => {
      const values = runs.map(field).filter((value): value is number => value !== undefined && !Number.isNaN(value));
      return values.length === 0 ? '—' : perGiB(median(values));
    };
    const total = (split: CpuSplit): number => split.clients + split.mediaServer + split.nginx;
    return `| ${label} | ${pick((split) => split.sender)} | ${pick((split) => split.receiver)} | ${pick((split) => split.clients)} | ${pick((split) => split.mediaServer)} | ${pick((split) => split.nginx)} | ${pick(total)} | ${(median(runs.map(total)) / wall).toFixed(2)} |`;
  };
  return [
    '| CPU-seconds per GiB (medians) | sender | receiver | clients | media server | nginx | total | cores busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(
      'Slipstream (peers)',
      slip.map((run) => run.cpu),
      slipSeconds,
    ),
    row('baseline (curls)', floorCpu, floorSeconds),
    row('Node floor (two node:http processes)', nodeFloorCpu, nodeFloorSeconds),
  ].join('\n');
}

const mbps = (seconds: number): string => `${((sizeMiB * MiB) / seconds / 1e6).toFixed(0)} MB/s`;
console.log(`
| ${sizeMiB} MiB, disk to disk | median | runs (s) | ÷ classic | ÷ baseline |
| --- | ---: | --- | ---: | ---: |
| Slipstream (streaming, v3) | ${slipSeconds.toFixed(2)} s (${mbps(slipSeconds)}) | ${slip.map((r) => r.seconds.toFixed(2)).join(', ')} | ${(slipSeconds / classicSeconds).toFixed(2)} | ${(slipSeconds / floorSeconds).toFixed(2)} |
| classic (Element: encrypt in memory, upload, then download) | ${classicSeconds.toFixed(2)} s (${mbps(classicSeconds)}) | ${classic.map((r) => r.seconds.toFixed(2)).join(', ')} | 1.00 | ${(classicSeconds / floorSeconds).toFixed(2)} |
| baseline (curl PUT + concurrent curl download, unencrypted) | ${floorSeconds.toFixed(2)} s (${mbps(floorSeconds)}) | ${floor.map((s) => s.toFixed(2)).join(', ')} | ${(floorSeconds / classicSeconds).toFixed(2)} | 1.00 |
| baseline, then fdatasync of the downloaded file (same runs) | ${floorDurableSeconds.toFixed(2)} s (${mbps(floorDurableSeconds)}) | ${floorDurable.map((s) => s.toFixed(2)).join(', ')} | ${(floorDurableSeconds / classicSeconds).toFixed(2)} | ${(floorDurableSeconds / floorSeconds).toFixed(2)} |
| Node floor (the baseline's two requests from Node: node:http PUT of the file + concurrent node:http download to a file, unencrypted) | ${nodeFloorSeconds.toFixed(2)} s (${mbps(nodeFloorSeconds)}) | ${nodeFloor.map((s) => s.toFixed(2)).join(', ')} | ${(nodeFloorSeconds / classicSeconds).toFixed(2)} | ${(nodeFloorSeconds / floorSeconds).toFixed(2)} |
| Node floor, then fdatasync of the downloaded file (same runs) | ${nodeFloorDurableSeconds.toFixed(2)} s (${mbps(nodeFloorDurableSeconds)}) | ${nodeFloorDurable.map((s) => s.toFixed(2)).join(', ')} | ${(nodeFloorDurableSeconds / classicSeconds).toFixed(2)} | ${(nodeFloorDurableSeconds / floorSeconds).toFixed(2)} |

Slipstream ÷ the baseline with its download made durable: ${(slipSeconds / floorDurableSeconds).toFixed(2)}. Slipstream ÷ the Node floor: ${(slipSeconds / nodeFloorSeconds).toFixed(2)}.

| measure | median | samples | target |
| --- | ---: | --- | --- |
| start of sending → receiver's first decrypted byte | ${median(firstBytes).toFixed(0)} ms | ${firstBytes.map((v) => v.toFixed(0)).join(', ')} | ≤ 150 ms |
| seek: first byte of a 1 MiB range mid-file, not downloaded | ${median(seekTimings).toFixed(1)} ms | ${seekTimings.length} seeks, max ${Math.max(...seekTimings).toFixed(1)} ms | ≤ 50 ms |

${cpuTable()}

${warmUp ? `Free-memory warm-up before each timed transfer: ${2 * sizeMiB} MiB written at ${warmUp.rateRange}.` : 'No free-memory warm-up (SLIPSTREAM_BENCH_WARM_UP=0).'}

| peak RSS, ${rssMiB} MiB file | sender | receiver |
| --- | ---: | ---: |
| Slipstream | ${slipLarge ? mb(slipLarge.senderPeakRss) : 'not run'} | ${slipLarge ? mb(slipLarge.receiverPeakRss) : 'not run'} |
| classic | ${classicLarge ? mb(classicLarge.senderPeakRss) : 'not run'} | ${classicLarge ? mb(classicLarge.receiverPeakRss) : 'not run'} |
`);
process.exit(0);
