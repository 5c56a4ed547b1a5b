/**
 * `npm run bench:codec`: MSC4016 v3 encrypt/decrypt throughput per block size beside OpenSSL's
 * AES-256-GCM on the same machine in the same run, and peak RSS while encrypting a 4 GiB stream.
 *
 * Throughput is the median of several runs over generated data (never stored), drained without
 * retention so the figures measure the codec, not the allocator.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { CipherWorkerPool, recommendedPoolOptions } from '../main/core/codec/cipher-worker-pool.js';
import { type FrameCipher, inlineFrameCipher } from '../main/core/codec/frame-cipher.js';
import { generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { encryptV3 } from '../main/core/codec/v3-encryptor.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE } from '../shared/msc4016/frame.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const BLOCK_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024].map((kib) => kib * 1024);
const STREAM_BYTES = (quick ? 64 : 512) * 1024 * 1024;
const DECRYPT_BYTES = (quick ? 64 : 256) * 1024 * 1024;
const RUNS = quick ? 1 : 3;
const RSS_STREAM_BYTES = (quick ? 0.25 : 4) * 1024 * 1024 * 1024;
const MB = 1e6;

const keys = generateV3KeyMaterial();
const sourceChunk = randomBytes(1024 * 1024);

async function* generated(bytes: number): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < bytes; sent += sourceChunk.length)
    yield sourceChunk.subarray(0, Math.min(sourceChunk.length, bytes - sent));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** OpenSSL's single-core AES-256-GCM at this size: the median of RUNS one-second runs. */
function opensslGcm(blockSize: number): number {
  return median(Array.from({ length: RUNS }, () => opensslGcmOnce(blockSize)));
}

function opensslGcmOnce(blockSize: number): number {
  const output = execFileSync(
    'openssl',
    ['speed', '-evp', 'aes-256-gcm', '-bytes', String(blockSize), '-seconds', '1'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const line = output.split('\n').find((l) => /^AES-256-GCM\s/i.test(l) || /^aes-256-gcm\s/i.test(l));
  const kilobytes = Number(line?.trim().split(/\s+/).pop()?.replace(/k$/, ''));
  if (!Number.isFinite(kilobytes)) throw new Error(`could not read openssl speed output:\n${output}`);
  return (kilobytes * 1000) / MB;
}

async function encryptRate(blockSize: number, cipher: FrameCipher): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    let produced = 0;
    for await (const frame of encryptV3(generated(STREAM_BYTES), { keys, blockSize, cipher })) produced += frame.length;
    if (produced < STREAM_BYTES) throw new Error('encryptor produced too little');
    rates.push(STREAM_BYTES / MB / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

async function decryptRate(blockSize: number, cipher: FrameCipher): Promise<number> {
  const ciphertext: Buffer[] = [];
  for await (const frame of encryptV3(generated(DECRYPT_BYTES), { keys, blockSize, cipher })) ciphertext.push(frame);
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    let plaintext = 0;
    for await (const block of decryptV3(ciphertext, { keys, cipher, expectedSize: DECRYPT_BYTES, blockSize }))
      plaintext += block.length;
    if (plaintext !== DECRYPT_BYTES) throw new Error('decryptor lost bytes');
    rates.push(DECRYPT_BYTES / MB / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

async function peakRss(cipher: FrameCipher): Promise<{ before: number; peak: number }> {
  // Start the workers and reach a steady state first: the growth measured is the stream's alone.
  for await (const frame of encryptV3(generated(64 * 1024 * 1024), { keys, cipher })) void frame;
  global.gc?.();
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
const allCores = new CipherWorkerPool({ threads: cores });
const recommended = recommendedPoolOptions(cores);
const shared = new CipherWorkerPool(recommended);
const sharedLabel = recommended.shareCallingThread
  ? `${recommended.threads} worker + caller`
  : `${recommended.threads} workers`;
// Memory first, before the throughput runs have grown the heap.
const rss = await peakRss(shared);
console.log(
  `RSS while encrypting a ${RSS_STREAM_BYTES / 2 ** 30} GiB generated stream at the default block size (${sharedLabel}): ` +
    `${(rss.before / 2 ** 20).toFixed(0)} MiB before, ${(rss.peak / 2 ** 20).toFixed(0)} MiB peak, ` +
    `growth ${((rss.peak - rss.before) / 2 ** 20).toFixed(0)} MiB`,
);

console.log(
  `\nMSC4016 v3 codec on ${cores} cores: ${STREAM_BYTES / 2 ** 20} MiB encrypted and ${DECRYPT_BYTES / 2 ** 20} MiB ` +
    `decrypted per run, median of ${RUNS}; OpenSSL median of ${RUNS} one-second runs. Figures in MB/s (10^6 bytes).`,
);
console.log(
  `| block | OpenSSL GCM (1 core) | encrypt inline | encrypt ${cores} workers | encrypt ${sharedLabel} | ` +
    `decrypt inline | decrypt ${cores} workers | decrypt ${sharedLabel} | best ÷ OpenSSL (enc / dec) |`,
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const blockSize of BLOCK_SIZES) {
  const openssl = opensslGcm(blockSize);
  const encrypt = [
    await encryptRate(blockSize, inlineFrameCipher),
    await encryptRate(blockSize, allCores),
    await encryptRate(blockSize, shared),
  ];
  const decrypt = [
    await decryptRate(blockSize, inlineFrameCipher),
    await decryptRate(blockSize, allCores),
    await decryptRate(blockSize, shared),
  ];
  const mark = blockSize === DEFAULT_PLAINTEXT_BLOCK_SIZE ? ' (default)' : '';
  const percent = (rate: number): string => `${((100 * rate) / openssl).toFixed(0)}%`;
  console.log(
    `| ${blockSize / 1024} KiB${mark} | ${openssl.toFixed(0)} | ${encrypt.map((r) => r.toFixed(0)).join(' | ')} | ` +
      `${decrypt.map((r) => r.toFixed(0)).join(' | ')} | ${percent(Math.max(...encrypt))} / ${percent(Math.max(...decrypt))} |`,
  );
}
await Promise.all([allCores.close(), shared.close()]);
