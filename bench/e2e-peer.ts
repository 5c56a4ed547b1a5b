/**
 * One side of `npm run bench:e2e`, in its own process so its peak RSS (VmHWM) is its own and its
 * start-up is outside the timings. It prints `{"type":"ready"}`, then acts on JSON commands from stdin, reporting what happened when (absolute milliseconds, comparable across processes) on stdout.
 *
 *   slip-send <dataDir>                   the engine: for each command's file, the event content as soon
 *                                         as it exists, then the upload
 *   slip-receive <dataDir> <outDir>       the engine: receive each event the parent forwards
 *   classic-send <file>                   as Element does: read all, v2-encrypt in memory, one-shot POST
 *   classic-receive <outDir>              download all into memory, check SHA-256, decrypt, write
 *   seek <dataDir> <count>                time to the first byte of 1 MiB ranges in the middle, through
 *                                         the media handler over HTTP, of a receive that never downloaded
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileMessageContent, parseReceivableFile } from '../shared/matrix/file-message.js';
import { encodeUnpaddedBase64 } from '../main/core/codec/base64.js';
import { keyMaterialOf, v2FileInfo } from '../main/core/codec/file-info.js';
import { generateV2KeyMaterial } from '../main/core/codec/key-material.js';
import { decryptV2, encryptV2 } from '../main/core/codec/v2-codec.js';
import { serveFetchHandler } from '../main/core/http/fetch-handler-server.js';
import { CipherWorkerPool, recommendedPoolOptions } from '../main/core/codec/cipher-worker-pool.js';
import { inlineFrameCipher } from '../main/core/codec/frame-cipher.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import { createMediaHandler } from '../main/core/transfer/media-handler.js';
import { MediaRepositoryClient } from '../main/core/transfer/media-repository-client.js';
import { TransferEngine } from '../main/core/transfer/transfer-engine.js';
import { parseMxcUri } from '../shared/matrix/mxc.js';

const now = (): number => performance.timeOrigin + performance.now();
const report = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

/** This process's CPU-seconds (every thread, user and system) since `before`. */
function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1e6;
}

async function peakRssBytes(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The whole file in one buffer, as a browser's FileReader gives it (readFile stops at 2 GiB). */
async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const whole = Buffer.allocUnsafe((await handle.stat()).size);
    for (let filled = 0; filled < whole.length;) {
      const { bytesRead } = await handle.read(whole, filled, Math.min(whole.length - filled, 2 ** 30), filled);
      if (bytesRead === 0) throw new Error(`${path} shrank while it was read`);
      filled += bytesRead;
    }
    return whole;
  } finally {
    await handle.close();
  }
}

interface Command {
  readonly homeserverUrl: string;
  readonly accessToken: string;
  readonly event?: unknown;
}

interface SendCommand extends Command {
  readonly path?: string;
}

/** Commands arrive one JSON line each; undefined once the parent closes stdin. */
const pendingCommands: (SendCommand | undefined)[] = [];
const commandWaiters: ((command: SendCommand | undefined) => void)[] = [];
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const command = JSON.parse(line) as SendCommand;
  const waiter = commandWaiters.shift();
  if (waiter) waiter(command);
  else pendingCommands.push(command);
});
commands.on('close', () => {
  for (const waiter of commandWaiters.splice(0)) waiter(undefined);
  pendingCommands.push(undefined);
});
const nextCommand = (): Promise<SendCommand | undefined> =>
  pendingCommands.length > 0
    ? Promise.resolve(pendingCommands.shift())
    : new Promise((resolve) => commandWaiters.push(resolve));

/** The single command of a one-shot role. */
async function oneCommand(): Promise<SendCommand> {
  const command = await nextCommand();
  if (!command) throw new Error('the parent closed stdin before sending a command');
  return command;
}

async function openEngine(dataDir: string): Promise<TransferEngine> {
  // SLIPSTREAM_BENCH_CIPHER=pool|inline overrides the engine's own choice, for comparisons.
  const choice = process.env['SLIPSTREAM_BENCH_CIPHER'];
  return TransferEngine.open({
    dataDir,
    secretStore: new FileSecretStore(join(dataDir, 'secret-store.key')),
    // SLIPSTREAM_BENCH_TUS_CHUNK_MIB overrides the engine's bytes per tus PATCH, for comparisons.
    ...(process.env['SLIPSTREAM_BENCH_TUS_CHUNK_MIB'] && {
      tusChunkSize: Number(process.env['SLIPSTREAM_BENCH_TUS_CHUNK_MIB']) * 2 ** 20,
    }),
    ...(choice === 'pool' && { cipher: new CipherWorkerPool(recommendedPoolOptions()) }),
    ...(choice === 'inline' && { cipher: inlineFrameCipher }),
  });
}

const [role, ...args] = process.argv.slice(2);

/*
 * SLIPSTREAM_BENCH_MEMORY_TRACE=<file>: where the memory goes at this peer's peak. Every 20 ms the
 * process's memory use is sampled; at exit the sample with the highest RSS (with V8's heap, external
 * and ArrayBuffer figures beside it) is written to <file>.<role>.json, and every sample (ms, then
 * MiB) to <file>.<role>.tsv.
 */
const memoryTrace = process.env['SLIPSTREAM_BENCH_MEMORY_TRACE'];
if (memoryTrace) {
  const started = performance.now();
  const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
  const series = ['ms\trss\theapTotal\theapUsed\texternal\tarrayBuffers'];
  let peak = process.memoryUsage();
  setInterval(() => {
    const sample = process.memoryUsage();
    if (sample.rss > peak.rss) peak = sample;
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = sample;
    const figures = [rss, heapTotal, heapUsed, external, arrayBuffers].map(mib);
    series.push([Math.round(performance.now() - started), ...figures].join('\t'));
  }, 20).unref();
  process.on('exit', () => {
    const peakMiB = Object.fromEntries(Object.entries(peak).map(([key, bytes]) => [key, mib(bytes)]));
    writeFileSync(`${memoryTrace}.${role}.json`, `${JSON.stringify(peakMiB)}\n`);
    writeFileSync(`${memoryTrace}.${role}.tsv`, `${series.join('\n')}\n`);
  });
}

switch (role) {
  // The engine sides serve one transfer per command for as long as the parent sends them, as a
  // running app does: the parent warms them up with a small transfer before the measured one.
  case 'slip-send': {
    const engine = await openEngine(args[0]!);
    report({ type: 'ready' });
    for (let command = await nextCommand(); command; command = await nextCommand()) {
      const started = now();
      const cpuBefore = process.cpuUsage();
      const outgoing = await engine.send(command.path!, {
        homeserverUrl: command.homeserverUrl,
        accessToken: command.accessToken,
      });
      report({ type: 'event', at: now(), started, event: outgoing.content });
      const final = await engine.settled(outgoing.transferId);
      report({
        type: 'done',
        at: now(),
        status: final.status,
        failure: final.failure,
        peakRss: await peakRssBytes(),
        cpuSeconds: cpuSecondsSince(cpuBefore),
      });
    }
    await engine.close();
    break;
  }
  case 'slip-receive': {
    const engine = await openEngine(args[0]!);
    report({ type: 'ready' });
    for (let command = await nextCommand(); command; command = await nextCommand()) {
      const started = now();
      const cpuBefore = process.cpuUsage();
      let firstByteAt: number | undefined;
      const stop = engine.subscribe((update) => {
        if (firstByteAt === undefined && update.bytesDone > 0) firstByteAt = now();
      });
      const id = await engine.receive({
        event: command.event,
        homeserverUrl: command.homeserverUrl,
        accessToken: command.accessToken,
        destinationDir: args[1]!,
      });
      const final = await engine.settled(id);
      stop();
      report({
        type: 'done',
        at: now(),
        started,
        firstByteAt,
        status: final.status,
        failure: final.failure,
        savedPath: final.savedPath,
        peakRss: await peakRssBytes(),
        cpuSeconds: cpuSecondsSince(cpuBefore),
      });
    }
    await engine.close();
    break;
  }
  case 'classic-send': {
    report({ type: 'ready' });
    const command = await oneCommand();
    const started = now();
    // Element: the whole file as one buffer, encrypted whole, hashed, then uploaded in one request.
    const plaintext = await readWhole(args[0]!);
    const keys = generateV2KeyMaterial();
    // Handed over as 1 GiB views: one cipher call cannot take 2 GiB or more (the bytes are the same).
    const views: Buffer[] = [];
    for (let start = 0; start < plaintext.length; start += 2 ** 30)
      views.push(plaintext.subarray(start, start + 2 ** 30));
    const encryption = encryptV2(views, keys);
    const pieces: Buffer[] = [];
    for await (const piece of encryption.ciphertext) pieces.push(piece);
    const ciphertext = Buffer.concat(pieces);
    pieces.length = 0;
    const client = new MediaRepositoryClient({
      homeserverUrl: command.homeserverUrl,
      accessToken: command.accessToken,
    });
    const response = await fetch(`${client.homeserverUrl}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { ...client.authorization, 'Content-Type': 'application/octet-stream' },
      body: ciphertext,
    });
    if (!response.ok) throw new Error(`classic upload: HTTP ${response.status} ${await response.text()}`);
    const { content_uri: url } = (await response.json()) as { content_uri: string };
    const file = { ...v2FileInfo(keys, await encryption.sha256), url };
    report({
      type: 'event',
      at: now(),
      started,
      event: fileMessageContent('sample.bin', file, { size: plaintext.length, mimetype: 'application/octet-stream' }),
    });
    report({ type: 'done', at: now(), status: 'completed', peakRss: await peakRssBytes() });
    break;
  }
  case 'classic-receive': {
    report({ type: 'ready' });
    const command = await oneCommand();
    const started = now();
    const { file } = parseReceivableFile(command.event);
    const client = new MediaRepositoryClient({
      homeserverUrl: command.homeserverUrl,
      accessToken: command.accessToken,
    });
    const response = await client.download(parseMxcUri(file.url));
    // The whole body in memory before anything else (a browser's Blob), kept as the chunks it came in:
    // one buffer of a 4 GiB file would pass Node's limits.
    const ciphertext: Buffer[] = [];
    for await (const chunk of response.body) ciphertext.push(Buffer.from(chunk as Uint8Array));
    const firstByteAt = now();
    if (file.v !== 'v2') throw new Error('classic receive expects v2');
    const digest = createHash('sha256');
    for (const chunk of ciphertext) digest.update(chunk);
    if (encodeUnpaddedBase64(digest.digest()) !== file.hashes.sha256) {
      throw new Error('classic receive: SHA-256 mismatch');
    }
    const pieces: Buffer[] = [];
    for await (const piece of decryptV2(ciphertext, keyMaterialOf(file), file.hashes.sha256)) pieces.push(piece);
    ciphertext.length = 0;
    const output = await open(join(args[0]!, 'classic.bin'), 'w');
    try {
      for (let first = 0; first < pieces.length; first += 512) await output.writev(pieces.slice(first, first + 512));
    } finally {
      await output.close();
    }
    report({
      type: 'done',
      at: now(),
      started,
      firstByteAt,
      status: 'completed',
      savedPath: join(args[0]!, 'classic.bin'),
      peakRss: await peakRssBytes(),
    });
    break;
  }
  case 'seek': {
    const engine = await openEngine(args[0]!);
    report({ type: 'ready' });
    const command = await oneCommand();
    const id = await engine.receive({
      event: command.event,
      homeserverUrl: command.homeserverUrl,
      accessToken: command.accessToken,
      destinationDir: args[0]!,
      start: false,
    });
    const served = await serveFetchHandler(createMediaHandler(engine));
    const size = parseReceivableFile(command.event).size!;
    const timings: number[] = [];
    for (let seek = 0; seek < Number(args[1]); seek++) {
      const first = Math.floor(size * (0.3 + 0.4 * Math.random()));
      const asked = now();
      const response = await fetch(`${served.url}/transfer/${id}`, {
        headers: { Range: `bytes=${first}-${first + 1024 * 1024 - 1}` },
      });
      const reader = response.body!.getReader();
      await reader.read();
      timings.push(now() - asked);
      while (!(await reader.read()).done);
    }
    report({ type: 'done', at: now(), timings, peakRss: await peakRssBytes() });
    await served.close();
    await engine.close();
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
commands.close();
