/**
 * `npm run bench:codec`: MSC4016 v3 encrypt/decrypt throughput per block size beside OpenSSL's
 * AES-256-GCM on the same machine in the same run, and RSS while encrypting a 4 GiB stream.
 *
 * The machines are shared and noisy, so every measurement is repeated in rounds that visit every
 * block size and configuration in turn (drift then hits all of them alike), and each figure is the
 * median over the rounds. Data is generated, never stored, and drained without retention so the
 * figures measure the codec, not the allocator.
 *
 *   npm run bench:codec              full run (~4 minutes on 2 cores)
 *   npm run bench:codec -- --quick   one short round, to check the harness
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 as simdCrc32 } from '@node-rs/crc32';
import { CipherWorkerPool, recommendedPoolOptions } from '../main/core/codec/cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipher } from '../main/core/codec/frame-cipher.js';
import { generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { encryptV3 } from '../main/core/codec/v3-encryptor.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE } from '../shared/msc4016/frame.js';

const quick = process.argv.includes('--quick');
const BLOCK_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024].map((kib) => kib * 1024);
const ENCRYPT_BYTES = (quick ? 64 : 256) * 2 ** 20;
const DECRYPT_BYTES = (quick ? 64 : 256) * 2 ** 20;
const ROUNDS = quick ? 1 : 5;
const RSS_STREAM_BYTES = (quick ? 0.25 : 4) * 2 ** 30;
const MB = 1e6;

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

async function encryptRate(blockSize: number, cipher: FrameCipher): Promise<number> {
  const started = performance.now();
  let produced = 0;
  for await (const frame of encryptV3(generated(ENCRYPT_BYTES), { keys, blockSize, cipher })) produced += frame.length;
  if (produced < ENCRYPT_BYTES) throw new Error('the encryptor produced too little');
  return ENCRYPT_BYTES / MB / ((performance.now() - started) / 1000);
}

async function decryptRate(ciphertext: readonly Buffer[], blockSize: number, cipher: FrameCipher): Promise<number> {
  const started = performance.now();
  let plaintext = 0;
  for await (const block of decryptV3(ciphertext, { keys, cipher, expectedSize: DECRYPT_BYTES, blockSize })) {
    plaintext += block.length;
  }
  if (plaintext !== DECRYPT_BYTES) throw new Error('the decryptor lost bytes');
  return DECRYPT_BYTES / MB / ((performance.now() - started) / 1000);
}

/** RSS before and at its peak while encrypting a long stream, after a warm-up has started every thread. */
async function rssOverStream(cipher: FrameCipher): Promise<{ before: number; peak: number }> {
  for await (const frame of encryptV3(generated(64 * 2 ** 20), { keys, cipher })) void frame;
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  for await (const frame of encryptV3(generated(RSS_STREAM_BYTES), { keys, cipher })) {
    if (frame.length > 0) peak = Math.max(peak, process.memoryUsage.rss());
  }
  clearInterval(sampler);
  return { before, peak };
}

const cores = availableParallelism();
const recommended = recommendedPoolOptions(cores);
const configurations: { label: string; cipher: FrameCipher }[] = [
  { label: 'inline', cipher: inlineFrameCipher },
  { label: `${cores} workers`, cipher: new CipherWorkerPool({ threads: cores }) },
  {
    label: recommended.shareCallingThread ? `${recommended.threads} worker + caller` : `${recommended.threads} workers`,
    cipher: new CipherWorkerPool(recommended),
  },
];
const recommendedConfiguration = configurations[2]!;

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
for (const { label, cipher } of configurations.slice(1)) {
  const rss = await rssOverStream(cipher);
  console.log(
    `RSS encrypting a ${RSS_STREAM_BYTES / 2 ** 30} GiB generated stream, default block size, ${label}: ` +
      `${mib(rss.before)} MiB after warm-up, ${mib(rss.peak)} MiB peak, growth ${mib(rss.peak - rss.before)} MiB`,
  );
}

// One ciphertext per block size for the decrypt runs, made once (untimed).
const ciphertexts = new Map<number, Buffer[]>();
for (const blockSize of BLOCK_SIZES) {
  const frames: Buffer[] = [];
  for await (const frame of encryptV3(generated(DECRYPT_BYTES), { keys, blockSize })) frames.push(frame);
  ciphertexts.set(blockSize, frames);
}

type Samples = { openssl: number[]; encrypt: number[][]; decrypt: number[][] };
const samples = new Map<number, Samples>(
  BLOCK_SIZES.map((size) => [
    size,
    { openssl: [], encrypt: configurations.map(() => []), decrypt: configurations.map(() => []) },
  ]),
);
for (let round = 1; round <= ROUNDS; round++) {
  process.stderr.write(`round ${round}/${ROUNDS}\n`);
  for (const blockSize of BLOCK_SIZES) {
    const sample = samples.get(blockSize)!;
    sample.openssl.push(opensslGcm(blockSize));
    for (const [index, { cipher }] of configurations.entries()) {
      sample.encrypt[index]!.push(await encryptRate(blockSize, cipher));
      sample.decrypt[index]!.push(await decryptRate(ciphertexts.get(blockSize)!, blockSize, cipher));
    }
  }
}

const labels = configurations.map(({ label }) => label);
console.log(
  `\nMSC4016 v3 codec on ${cores} cores, MB/s (10^6 bytes/s), medians of ${ROUNDS} interleaved rounds; ` +
    `${mib(ENCRYPT_BYTES)} MiB encrypted and ${mib(DECRYPT_BYTES)} MiB decrypted per measurement.`,
);
console.log(
  `| block | OpenSSL GCM, 1 core | ${labels.map((l) => `encrypt, ${l}`).join(' | ')} | ` +
    `${labels.map((l) => `decrypt, ${l}`).join(' | ')} | ${recommendedConfiguration.label} ÷ OpenSSL (enc / dec) |`,
);
console.log(`|${'---:|'.repeat(3 + 2 * labels.length)}`);
for (const blockSize of BLOCK_SIZES) {
  const sample = samples.get(blockSize)!;
  const openssl = median(sample.openssl);
  const encrypt = sample.encrypt.map(median);
  const decrypt = sample.decrypt.map(median);
  const percent = (rate: number): string => `${((100 * rate) / openssl).toFixed(0)}%`;
  const mark = blockSize === DEFAULT_PLAINTEXT_BLOCK_SIZE ? ' (default)' : '';
  console.log(
    `| ${blockSize / 1024} KiB${mark} | ${openssl.toFixed(0)} | ${encrypt.map((r) => r.toFixed(0)).join(' | ')} | ` +
      `${decrypt.map((r) => r.toFixed(0)).join(' | ')} | ${percent(encrypt[2]!)} / ${percent(decrypt[2]!)} |`,
  );
}
await Promise.all(
  configurations.map(({ cipher }) => (cipher instanceof CipherWorkerPool ? cipher.close() : undefined)),
);
