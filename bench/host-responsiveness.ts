/**
 * `npm run bench:host`: how responsive the process that hosts the transfer engine stays during a
 * 1 GiB v3 send to the local stack (Synapse, nginx, the media server), in the two shapes the app runs
 * in (bench/host-configurations.ts):
 *
 *   desktop               main (this process: EngineHostSupervisor + forwardingHandlers) and the engine
 *                         host as a forked Node child with the utility process's V8 options;
 *   desktop-node-crypto   the same, the engine host sealing with node:crypto as inside Electron;
 *   browser-host          the engine in the host's own process, beside its HTTP side.
 *
 * Measured during the send: each process's event-loop delay (bench/loop-delay.ts: p50, p99, max), the
 * round trips of a tiny request every 50 ms to the host (bench/host-probes.ts: a call over the contract
 * and a GET of the engine host's media endpoint in the desktop shape, a GET of the host's HTTP server
 * in the browser host's), the transfer's rate and the updates that reached the front end's side.
 * Floors, in the same rounds: the same measures with nothing transferring, over a window as long as the
 * send, a second after it (the hosts still running, idle); and a bare Node process with the same V8
 * options and the same probe server (bench/host-idle-child.ts), measured both alone and beside the
 * send (what the load of the other processes on the machine does to a loop with nothing to do).
 *
 * Each configuration runs in a fresh host per round, after a 1 MiB warm-up send (as a running app has
 * made before), one request of each probe (the first request a process serves pays one-time costs,
 * reported apart) and a free-memory warm-up of the size of the send (bench/free-memory-warm-up.ts);
 * rounds rotate the order. Everything is also written to .cache/bench/host/results.json. Environment: SLIPSTREAM_BENCH_HOST_MIB (1024), SLIPSTREAM_BENCH_HOST_ROUNDS (3),
 * SLIPSTREAM_BENCH_HOST_CONFIGS (all three, comma-separated), SLIPSTREAM_BENCH_HOST_CHILD_ARGS (more
 * Node options for the host processes, e.g. `--cpu-prof --cpu-prof-dir=…`), SLIPSTREAM_BENCH_WARM_UP=0
 * (no free-memory warm-up).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundlePeers } from './bundle-peers.js';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';
import { makeSampleFile } from '../scripts/lib/sample-file.js';
import { mediaServerFiles } from '../scripts/stack/media-server.js';
import { stackUp } from '../scripts/stack/stack.js';
import { registerUser } from '../scripts/stack/users.js';
import { FreeMemoryWarmUp } from './free-memory-warm-up.js';
import {
  type ConfigurationName,
  type HostSetting,
  type MeasuredHost,
  type MeasuredLoop,
  openBrowserHost,
  openDesktop,
} from './host-configurations.js';
import { BenchChild } from './host-processes.js';
import { httpGet, type ProbeFigures, ProbeSeries } from './host-probes.js';
import { hostReport, type RoundResult, type WindowFigures } from './host-report.js';
import { removeBenchUploads } from './server-cleanup.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env['SLIPSTREAM_BENCH_HOST_MIB'] ?? 1024);
const rounds = Number(process.env['SLIPSTREAM_BENCH_HOST_ROUNDS'] ?? 3);
const CONFIGURATIONS: readonly ConfigurationName[] = ['desktop', 'desktop-node-crypto', 'browser-host'];
const configurations = (process.env['SLIPSTREAM_BENCH_HOST_CONFIGS'] ?? CONFIGURATIONS.join(','))
  .split(',')
  .filter(Boolean) as ConfigurationName[];
const unknown = configurations.filter((name) => !CONFIGURATIONS.includes(name));
if (unknown.length > 0)
  throw new Error(
    `SLIPSTREAM_BENCH_HOST_CONFIGS: no configuration ${unknown.join(', ')} (${CONFIGURATIONS.join(', ')})`,
  );
const words = (text: string | undefined): string[] => (text ?? '').split(' ').filter(Boolean);
const root = resolve('.cache/bench/host');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const SETTLE_MS = 1000;

/** The children run as bundled JavaScript (bundle-peers.ts says why). */
const CHILDREN = ['host-engine-child', 'host-backend-child', 'host-idle-child'];
await mkdir(root, { recursive: true });
await bundlePeers(Object.fromEntries(CHILDREN.map((entry) => [entry, `bench/${entry}.ts`])), root);
const bundle = (entry: string): string => join(root, `${entry}.js`);

async function sample(mib: number): Promise<string> {
  const path = join(root, 'samples', `sample-${mib}MiB.bin`);
  const exists = await stat(path).then(
    (found) => found.size === mib * MiB,
    () => false,
  );
  if (!exists) {
    log(`making a ${mib} MiB sample file`);
    await mkdir(join(root, 'samples'), { recursive: true });
    await makeSampleFile(path, mib * MiB);
  }
  return path;
}

const gitCommit = (): string => {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
  return dirty ? `${head} with uncommitted changes` : head;
};
const startedAt = new Date();
const loadBefore = loadavg()[0]!;

const stack = await stackUp((line) => log(`stack: ${line}`));
const user = await registerUser(stack);
const forgetUploads = (): Promise<number> => removeBenchUploads(mediaServerFiles.dataDir, user.userId);
const source = await sample(sizeMiB);
const warmUpFile = await sample(1);
const warmUp = process.env['SLIPSTREAM_BENCH_WARM_UP'] === '0' ? undefined : new FreeMemoryWarmUp(root, log);

const setting: HostSetting = {
  root,
  bundle,
  nodeArgs: [...SLIPSTREAM_NODE_FLAGS, ...words(process.env['SLIPSTREAM_BENCH_HOST_CHILD_ARGS'])],
  // The bundles live outside main/core/codec: they are told where the native cipher is, if built.
  env: { SLIPSTREAM_NATIVE_CIPHER_PATH: resolve('main/core/codec/native/build/Release/msc4016_cipher.node') },
  session: { homeserverUrl: stack.baseUrl, userId: user.userId, deviceId: 'BENCHHOST', accessToken: user.accessToken },
  sampleFolder: join(root, 'samples'),
  log,
};

/** The floor process, one for the whole run. */
const idle = new BenchChild('idle', bundle('host-idle-child'), [], { nodeArgs: SLIPSTREAM_NODE_FLAGS, logDir: root });
const idleProbeUrl = String((await idle.next('ready'))['probeUrl']);
const idleProbe = (): ProbeSeries => new ProbeSeries('idle child', () => httpGet(`${idleProbeUrl}/probe`));
await idleProbe().once();
const idleLoop: MeasuredLoop = { start: () => idle.startWindow(), stop: () => idle.stopWindow() };

/** Opens every loop's window and starts every probe, runs `work`, and closes them all. */
async function measured<T>(host: MeasuredHost, work: () => Promise<T>): Promise<{ result: T; figures: WindowFigures }> {
  const loops = { host: host.loops.host, main: host.loops.main, idle: idleLoop };
  const probes = [...host.probes, idleProbe()];
  await Promise.all(Object.values(loops).map((loop) => loop.start()));
  for (const probe of probes) probe.start();
  const result = await work();
  const stopping = probes.map((probe) => probe.stop());
  const [hostLoop, mainLoop, idleChildLoop] = await Promise.all([
    loops.host.stop(),
    loops.main.stop(),
    loops.idle.stop(),
  ]);
  const probeFigures: Record<string, ProbeFigures & { roundTrips: number[] }> = {};
  for (const [index, figures] of (await Promise.all(stopping)).entries()) probeFigures[probes[index]!.name] = figures;
  return {
    result,
    figures: { loops: { host: hostLoop!, main: mainLoop!, idle: idleChildLoop! }, probes: probeFigures },
  };
}

async function round(configuration: ConfigurationName): Promise<RoundResult> {
  const host =
    configuration === 'browser-host'
      ? await openBrowserHost(setting)
      : await openDesktop(setting, configuration === 'desktop' ? 'native' : 'node:crypto');
  try {
    await host.send(warmUpFile);
    // Each probe once before anything is measured: the first request a process serves pays one-time
    // costs (Node loads its Fetch classes at the first Request it makes), reported apart.
    const firstRequests: Record<string, number> = {};
    for (const probe of host.probes) firstRequests[probe.name] = await probe.once();
    await forgetUploads();
    await warmUp?.run(sizeMiB * MiB);
    const send = await measured(host, () => host.send(source));
    // Deleting the upload drops its dirty pages too: the idle window below has no writeback to wait for.
    await forgetUploads();
    // The send's last bookkeeping (the record's final save, the server's last sync) stays out of the floor.
    await sleep(SETTLE_MS);
    const rest = await measured(host, () => sleep(send.result.seconds * 1000));
    return {
      configuration,
      cipher: host.cipher,
      ...send.result,
      firstRequests,
      send: send.figures,
      idle: rest.figures,
    };
  } finally {
    await host.close();
  }
}

const results: RoundResult[] = [];
try {
  for (let index = 0; index < rounds; index++) {
    for (let step = 0; step < configurations.length; step++) {
      const configuration = configurations[(index + step) % configurations.length]!;
      const result = await round(configuration);
      results.push(result);
      const { host } = result.send.loops;
      log(
        `round ${index + 1}: ${configuration} ${result.seconds.toFixed(2)} s, ${result.updates} updates, ` +
          `host loop p99 ${host.p99Ms.toFixed(1)} ms, max ${host.maxMs.toFixed(1)} ms`,
      );
    }
  }
} finally {
  await idle.end();
}

const context = {
  startedAt: startedAt.toISOString(),
  commit: gitCommit(),
  node: process.versions.node,
  loadAverage: { before: loadBefore, after: loadavg()[0]! },
  sizeMiB,
  rounds,
  nodeArgs: setting.nodeArgs,
  warmUpRates: warmUp?.rateRange,
};
await writeFile(join(root, 'results.json'), JSON.stringify({ context, results }, null, 2));
console.log(hostReport(context, results));
process.exit(0);
