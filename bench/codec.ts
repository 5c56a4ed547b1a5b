/**
 * `npm run bench:codec`: MSC4016 v3 encrypt/decrypt throughput per block size beside OpenSSL's
 * AES-256-GCM on the same machine in the same run, and RSS while encrypting a 4 GiB stream.
 *
 * The machines are shared and noisy, so every measurement is repeated in rounds that visit every
 * block size and configuration in turn (drift then hits all of them alike), and each figure is the
 * median over the rounds. Data is generated, never stored, and drained without retention so the
 * figures measure the codec, not the allocator.
 *
 * Ciphertext for the decrypt runs is fed in 1 MiB chunks, as the CLI reads a file; the encrypt
 * runs' generator hands out views of one random buffer, and their sink only counts bytes, so
 * neither side charges the codec for work it would not do in the product.
 *
 *   npm run bench:codec                          full run (~3 minutes on 2 cores)
 *   npm run bench:codec -- --quick               one short round, to check the harness
 *   npm run bench:codec -- --sizes 64 --rounds 9 only these block sizes (KiB), more rounds
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 as simdCrc32 } from '@node-rs/crc32';
import { parseArgs } from 'node:util';
import { blockCipherFor, describeBlockCipher } from '../main/core/codec/block-cipher-choice.js';
import { CipherWorkerPool, recommendedPoolOptions } from '../main/core/codec/cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipherWith } from '../main/core/codec/frame-cipher.js';
import { generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { loadNativeCipherAddon } from '../main/core/codec/native-cipher-addon.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { encryptV3 } from '../main/core/codec/v3-encryptor.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE, FRAME_OVERHEAD } from '../shared/msc4016/frame.js';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean' }, sizes: { type: 'string' }, rounds: { type: 'string' } },
});
const quick = flags.quick === true;
const BLOCK_SIZES = (flags.sizes ?? '8,16,32,64,128,256,512,1024').split(',').map((kib) => Number(kib) * 1024);
const ENCRYPT_BYTES = (quick ? 64 : 256) * 2 ** 20;
const DECRYPT_BYTES = (quick ? 64 : 256) * 2 ** 20;
const ROUNDS = flags.rounds !== undefined ? Number(flags.rounds) : quick ? 1 : 5;
/** Decrypt input arrives in chunks of this size, as the CLI reads a file. */
const READ_CHUNK = 2 ** 20;
const RSS_STREAM_BYTES = (quick ? 0.25 : 4) * 2 ** 30;
const MB = 1e6;
/**
 * The sinks below are done with each buffer before asking for the next, like the CLI's output
 * (which writes each out and awaits the write), so they let the codec reuse it as the CLI does.
 */
const AS_THE_CLI = { reuseYieldedBuffers: true } as const;

const keys = generateV3KeyMaterial();
const sourceChunk = randomBytes(2 ** 20);

async function* generated(bytes: number): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < bytes; sent += sourceChunk.length) {
    yield sourceChunk.subarray(0, Math.min(sourceChunk.length, bytes - sent));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** OpenSSL's single-core AES-256-GCM at this buffer size, MB/s, from one one-second run. */
function opensslGcm(blockSize: number): number {
  const output = execFileSync(
    'openssl',
    ['speed', '-evp', 'aes-256-gcm', '-bytes', String(blockSize), '-seconds', '1'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const line = output.split('\n').find((l) => /^aes-256-gcm\s/i.test(l));
  const kilobytes = Number(line?.trim().split(/\s+/).pop()?.replace(/k$/, ''));
  if (!Number.isFinite(kilobytes)) throw new Error(`could not read openssl speed output:\n${output}`);
  return (kilobytes * 1000) / MB;
}

/** MB/s of one run over `bytes`, and how many cores the process kept busy meanwhile (all threads). */
interface Measurement {
  readonly rate: number;
  readonly cores: number;
}

async function measure(bytes: number, run: () => Promise<void>): Promise<Measurement> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await run();
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: bytes / MB / (elapsed / 1000), cores: (cpu.user + cpu.system) / 1000 / elapsed };
}

function encryptRate(blockSize: number, cipher: FrameCipher): Promise<Measurement> {
  return measure(ENCRYPT_BYTES, async () => {
    let produced = 0;
    for await (const part of encryptV3(generated(ENCRYPT_BYTES), { keys, blockSize, cipher, ...AS_THE_CLI })) {
      produced += part.length;
    }
    if (produced < ENCRYPT_BYTES) throw new Error('the encryptor produced too little');
  });
}

function decryptRate(ciphertext: readonly Buffer[], blockSize: number, cipher: FrameCipher): Promise<Measurement> {
  return measure(DECRYPT_BYTES, async () => {
    let plaintext = 0;
    const options = { keys, cipher, expectedSize: DECRYPT_BYTES, blockSize, ...AS_THE_CLI };
    for await (const block of decryptV3(ciphertext, options)) {
      plaintext += block.length;
    }
    if (plaintext !== DECRYPT_BYTES) throw new Error('the decryptor lost bytes');
  });
}

/**
 * RSS before and at its peak while encrypting a long stream, after a warm-up has started every
 * thread; and the peak over the first 512 MiB of the stream beside the peak over the rest, which
 * tells memory that grows with the stream from a plateau reached early (the garbage collector's
 * slack for buffers already handed out).
 */
async function rssOverStream(
  cipher: FrameCipher,
): Promise<{ before: number; peak: number; earlyPeak: number; latePeak: number }> {
  for await (const part of encryptV3(generated(64 * 2 ** 20), { keys, cipher, ...AS_THE_CLI })) void part;
  const before = process.memoryUsage.rss();
  const peaks = { early: before, late: 0 };
  let produced = 0;
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (produced < 512 * 2 ** 20) peaks.early = Math.max(peaks.early, rss);
    else peaks.late = Math.max(peaks.late, rss);
  };
  const sampler = setInterval(sample, 20);
  for await (const part of encryptV3(generated(RSS_STREAM_BYTES), { keys, cipher, ...AS_THE_CLI })) {
    produced += part.length;
    if (part.length > 65536) sample();
  }
  clearInterval(sampler);
  return { before, peak: Math.max(peaks.early, peaks.late), earlyPeak: peaks.early, latePeak: peaks.late };
}

const cores = availableParallelism();
// The product's configuration is the one stream-cipher.ts starts for any large stream, with the
// block cipher the codec chooses by itself (the native one when its addon loads and passes its
// self-test). The same shapes with node:crypto pinned stay beside it for comparison.
const product = recommendedPoolOptions(cores);
const productShape = product.shareCallingThread ? `${product.threads} worker + caller` : `${product.threads} workers`;
const native = blockCipherFor('fastest').name === 'native';
const configurations: { label: string; cipher: FrameCipher; product?: true; nodeProduct?: true }[] = [
  { label: 'inline, node:crypto', cipher: inlineFrameCipherWith('node:crypto') },
  {
    label: `${productShape}, node:crypto`,
    cipher: new CipherWorkerPool({ ...product, blockCipher: 'node:crypto' }),
    nodeProduct: true as const,
    ...(native ? {} : { product: true as const }),
  },
  ...(native
    ? [
        { label: 'inline, native', cipher: inlineFrameCipherWith('fastest') },
        {
          label: `${cores} workers, native`,
          cipher: new CipherWorkerPool({ ...product, threads: cores, shareCallingThread: false }),
        },
        { label: `${productShape}, native`, cipher: new CipherWorkerPool(product), product: true as const },
      ]
    : []),
];
const productIndex = configurations.findIndex((configuration) => configuration.product);
const productConfiguration = configurations[productIndex]!;
/** The node:crypto configuration of the product's shape, for the same-run comparison. */
const nodeProductIndex = configurations.findIndex((configuration) => configuration.nodeProduct);
console.log(`Block cipher of the product configuration: ${describeBlockCipher()}`);

/** MB/s of a CRC-32 implementation over 64 KiB blocks, the way frames are checksummed. */
function crcRate(crc: (data: Uint8Array, initial?: number) => number): number {
  const block = sourceChunk.subarray(0, 64 * 1024);
  const blocks = quick ? 1024 : 8192;
  const started = performance.now();
  for (let i = 0; i < blocks; i++) crc(block, crc(block.subarray(0, 12)));
  return (blocks * block.length) / MB / ((performance.now() - started) / 1000);
}

const crcSamples = { zlib: [] as number[], simd: [] as number[] };
for (let round = 0; round < (quick ? 1 : 5); round++) {
  crcSamples.zlib.push(crcRate(zlibCrc32));
  crcSamples.simd.push(crcRate(simdCrc32));
}
console.log(
  `CRC-32 over 64 KiB blocks (median of ${crcSamples.zlib.length}): node:zlib ${median(crcSamples.zlib).toFixed(0)} MB/s, ` +
    `@node-rs/crc32 ${median(crcSamples.simd).toFixed(0)} MB/s`,
);

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
for (const { label, cipher } of configurations.filter(({ cipher }) => cipher instanceof CipherWorkerPool).reverse()) {
  const rss = await rssOverStream(cipher);
  console.log(
    `RSS encrypting a ${RSS_STREAM_BYTES / 2 ** 30} GiB generated stream, default block size, ${label}: ` +
      `${mib(rss.before)} MiB after warm-up, ${mib(rss.peak)} MiB peak, growth ${mib(rss.peak - rss.before)} MiB ` +
      `(peak ${mib(rss.earlyPeak)} MiB over the first 512 MiB, ${mib(rss.latePeak)} MiB over the rest)`,
  );
}

// One ciphertext per block size for the decrypt runs, made once (untimed), in file-read-sized chunks.
const ciphertexts = new Map<number, Buffer[]>();
for (const blockSize of BLOCK_SIZES) {
  const parts: Buffer[] = [];
  for await (const part of encryptV3(generated(DECRYPT_BYTES), {
    keys,
    blockSize,
    cipher: configurations[0]!.cipher,
  })) {
    parts.push(part);
  }
  const whole = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < whole.length; offset += READ_CHUNK)
    chunks.push(whole.subarray(offset, offset + READ_CHUNK));
  ciphertexts.set(blockSize, chunks);
}

/**
 * MB/s of node:crypto alone sealing one block per cipher object on this thread, with no CRC, framing
 * or stream: the most one thread of the codec could reach with Node's cipher API.
 */
function nodeCipherRate(blockSize: number): number {
  const iv = Buffer.alloc(16);
  keys.iv.copy(iv, 4);
  const started = performance.now();
  for (let sealed = 0, sequence = 0; sealed < ENCRYPT_BYTES; sealed += blockSize, sequence++) {
    iv.writeUInt32LE(sequence, 0);
    const cipher = createCipheriv('aes-256-gcm', keys.key, iv);
    cipher.setAAD(iv.subarray(0, 4));
    cipher.update(sourceChunk.subarray(0, blockSize));
    cipher.final();
    cipher.getAuthTag();
  }
  return ENCRYPT_BYTES / MB / ((performance.now() - started) / 1000);
}

/**
 * MB/s of the native addon alone sealing 1 MiB batches into reused buffers on this thread, with no
 * CRC, framing or stream: the most one thread of the codec could reach with it.
 */
function nativeCipherRate(blockSize: number): number {
  const { addon } = loadNativeCipherAddon();
  if (addon === undefined) return NaN;
  const batch = sourceChunk.subarray(0, Math.max(1, Math.floor(sourceChunk.length / blockSize)) * blockSize);
  const blocks = Math.ceil(batch.length / blockSize);
  const frames = Buffer.allocUnsafe(batch.length + blocks * FRAME_OVERHEAD);
  const framing = Buffer.allocUnsafe(blocks * FRAME_OVERHEAD);
  const started = performance.now();
  for (let sealed = 0; sealed < ENCRYPT_BYTES; sealed += batch.length) {
    addon.seal(keys.key, keys.iv, 0, batch, blockSize, frames, framing);
  }
  return ENCRYPT_BYTES / MB / ((performance.now() - started) / 1000);
}

/**
 * MB/s of the native addon alone opening 2 MiB batches of 64 KiB blocks on this thread, into one
 * reused output buffer or into a fresh one per batch (left to the collector): what the codec's
 * reuse of result memory (spare-buffers.ts) is for.
 */
function nativeOpenRates(): { reused: number; fresh: number } {
  const { addon } = loadNativeCipherAddon();
  if (addon === undefined) return { reused: NaN, fresh: NaN };
  const blockSize = 64 * 1024;
  const plaintext = Buffer.concat([sourceChunk, sourceChunk]);
  const blocks = plaintext.length / blockSize;
  const frames = Buffer.allocUnsafe(plaintext.length + blocks * FRAME_OVERHEAD);
  addon.seal(keys.key, keys.iv, 0, plaintext, blockSize, frames, Buffer.allocUnsafe(blocks * FRAME_OVERHEAD));
  const state = new Uint32Array(4);
  const reusedOutput = Buffer.allocUnsafeSlow(plaintext.length);
  const rate = (output: () => Buffer): number => {
    const started = performance.now();
    for (let opened = 0; opened < DECRYPT_BYTES; opened += plaintext.length) {
      addon.open(keys.key, keys.iv, frames, blocks, output(), state);
      if (state[0] !== blocks) throw new Error(`the native open stopped after ${state[0]} of ${blocks} blocks`);
    }
    return DECRYPT_BYTES / MB / ((performance.now() - started) / 1000);
  };
  return { reused: rate(() => reusedOutput), fresh: rate(() => Buffer.allocUnsafeSlow(plaintext.length)) };
}

if (native) {
  const runs = Array.from({ length: quick ? 1 : 5 }, nativeOpenRates);
  console.log(
    `Native open alone, 2 MiB batches of 64 KiB blocks (median of ${runs.length}): into a reused buffer ` +
      `${median(runs.map(({ reused }) => reused)).toFixed(0)} MB/s, into a fresh buffer per batch ` +
      `${median(runs.map(({ fresh }) => fresh)).toFixed(0)} MB/s`,
  );
}

type Samples = {
  openssl: number[];
  node: number[];
  native: number[];
  encrypt: Measurement[][];
  decrypt: Measurement[][];
};
const samples = new Map<number, Samples>(
  BLOCK_SIZES.map((size) => [
    size,
    {
      openssl: [],
      node: [],
      native: [],
      encrypt: configurations.map(() => []),
      decrypt: configurations.map(() => []),
    },
  ]),
);
for (let round = 1; round <= ROUNDS; round++) {
  process.stderr.write(`round ${round}/${ROUNDS}\n`);
  for (const blockSize of BLOCK_SIZES) {
    const sample = samples.get(blockSize)!;
    sample.openssl.push(opensslGcm(blockSize));
    sample.node.push(nodeCipherRate(blockSize));
    sample.native.push(nativeCipherRate(blockSize));
    for (const [index, { cipher }] of configurations.entries()) {
      sample.encrypt[index]!.push(await encryptRate(blockSize, cipher));
      sample.decrypt[index]!.push(await decryptRate(ciphertexts.get(blockSize)!, blockSize, cipher));
    }
  }
}

const labels = configurations.map(({ label }) => label);
const productLabel = `${productConfiguration.label} (product)`;
console.log(
  `\nMSC4016 v3 codec on ${cores} cores, MB/s (10^6 bytes/s), medians of ${ROUNDS} interleaved rounds; ` +
    `${mib(ENCRYPT_BYTES)} MiB encrypted and ${mib(DECRYPT_BYTES)} MiB decrypted per measurement. ` +
    `Product: ${productLabel}.`,
);
const ratioColumns = native
  ? `${productLabel} ÷ OpenSSL (enc / dec) | ${configurations[nodeProductIndex]!.label} ÷ OpenSSL (enc / dec)`
  : `${productLabel} ÷ OpenSSL (enc / dec)`;
console.log(
  `| block | OpenSSL GCM, 1 core | node:crypto alone, 1 thread | native alone, 1 thread | ` +
    `${labels.map((l) => `encrypt, ${l}`).join(' | ')} | ${labels.map((l) => `decrypt, ${l}`).join(' | ')} | ${ratioColumns} |`,
);
console.log(`|${'---:|'.repeat(3 + 2 * labels.length + (native ? 3 : 2))}`);
for (const blockSize of BLOCK_SIZES) {
  const sample = samples.get(blockSize)!;
  const openssl = median(sample.openssl);
  const rates = (runs: readonly Measurement[]): number => median(runs.map(({ rate }) => rate));
  const encrypt = sample.encrypt.map(rates);
  const decrypt = sample.decrypt.map(rates);
  const percent = (rate: number): string => `${((100 * rate) / openssl).toFixed(0)}%`;
  const ratios = (index: number): string => `${percent(encrypt[index]!)} / ${percent(decrypt[index]!)}`;
  const mark = blockSize === DEFAULT_PLAINTEXT_BLOCK_SIZE ? ' (default)' : '';
  console.log(
    `| ${blockSize / 1024} KiB${mark} | ${openssl.toFixed(0)} | ${median(sample.node).toFixed(0)} | ` +
      `${native ? median(sample.native).toFixed(0) : '—'} | ${encrypt.map((r) => r.toFixed(0)).join(' | ')} | ` +
      `${decrypt.map((r) => r.toFixed(0)).join(' | ')} | ${ratios(productIndex)} |` +
      `${native ? ` ${ratios(nodeProductIndex)} |` : ''}`,
  );
}
console.log(`\nCores kept busy (median; 2.0 = both cores of a 2-core machine), encrypt / decrypt:`);
for (const blockSize of BLOCK_SIZES) {
  const sample = samples.get(blockSize)!;
  const busy = (runs: readonly Measurement[]): string => median(runs.map(({ cores }) => cores)).toFixed(2);
  const perConfiguration = labels.map(
    (label, i) => `${label} ${busy(sample.encrypt[i]!)} / ${busy(sample.decrypt[i]!)}`,
  );
  console.log(`  ${blockSize / 1024} KiB: ${perConfiguration.join('; ')}`);
}
await Promise.all(
  configurations.map(({ cipher }) => (cipher instanceof CipherWorkerPool ? cipher.close() : undefined)),
);
