/**
 * `npm run bench:codec`: MSC4016 v3 encrypt/decrypt throughput per block size beside OpenSSL's
 * AES-256-GCM on the same machine in the same run, and peak RSS while encrypting a 4 GiB stream.
 *
 * Throughput is the median of several runs over generated data (never stored), drained without
 * retention so the figures measure the codec, not the allocator.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CipherWorkerPool } from '../main/core/codec/cipher-worker-pool.js';
import type { FrameCipher } from '../main/core/codec/frame-cipher.js';
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

function opensslGcm(blockSize: number): number {
  const output = execFileSync(
    'openssl',
    ['speed', '-evp', 'aes-256-gcm', '-bytes', String(blockSize), '-seconds', quick ? '1' : '2'],
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

const pool = new CipherWorkerPool();
const rows: string[] = [];
console.log(
  `MSC4016 v3 codec, ${STREAM_BYTES / 2 ** 20} MiB encrypted and ${DECRYPT_BYTES / 2 ** 20} MiB decrypted per run, median of ${RUNS}; ${pool.parallelism} worker threads`,
);
console.log(
  '| block | OpenSSL GCM MB/s | encrypt inline | encrypt workers | decrypt inline | decrypt workers | workers ÷ OpenSSL (enc / dec) |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const blockSize of BLOCK_SIZES) {
  const openssl = opensslGcm(blockSize);
  const { inlineFrameCipher } = await import('../main/core/codec/frame-cipher.js');
  const encInline = await encryptRate(blockSize, inlineFrameCipher);
  const encPool = await encryptRate(blockSize, pool);
  const decInline = await decryptRate(blockSize, inlineFrameCipher);
  const decPool = await decryptRate(blockSize, pool);
  const mark = blockSize === DEFAULT_PLAINTEXT_BLOCK_SIZE ? ' (default)' : '';
  const row = `| ${blockSize / 1024} KiB${mark} | ${openssl.toFixed(0)} | ${encInline.toFixed(0)} | ${encPool.toFixed(0)} | ${decInline.toFixed(0)} | ${decPool.toFixed(0)} | ${((100 * encPool) / openssl).toFixed(0)}% / ${((100 * decPool) / openssl).toFixed(0)}% |`;
  rows.push(row);
  console.log(row);
}
const rss = await peakRss(pool);
console.log(
  `\nRSS while encrypting a ${RSS_STREAM_BYTES / 2 ** 30} GiB generated stream at the default block size with workers: ` +
    `${(rss.before / 2 ** 20).toFixed(0)} MiB before, ${(rss.peak / 2 ** 20).toFixed(0)} MiB peak, growth ${((rss.peak - rss.before) / 2 ** 20).toFixed(0)} MiB`,
);
await pool.close();
