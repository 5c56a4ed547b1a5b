import { readFile } from 'node:fs/promises';
import { parseEncryptedFile, V3_VERSION } from '../shared/msc4016/encrypted-file.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE } from '../shared/msc4016/frame.js';
import { CipherWorkerPool, recommendedPoolOptions } from '../main/core/codec/cipher-worker-pool.js';
import { declaredBlockSize, keyMaterialOf, v2FileInfo, v3FileInfo } from '../main/core/codec/file-info.js';
import { type FrameCipher, inlineFrameCipher } from '../main/core/codec/frame-cipher.js';
import { generateV2KeyMaterial, generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { mapStream, plaintextSizeOf, readPlaintextRange } from '../main/core/codec/random-access.js';
import { decryptV2, encryptV2 } from '../main/core/codec/v2-codec.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { assertValidBlockSize, encryptV3 } from '../main/core/codec/v3-encryptor.js';
import { openAtomicOutput } from './atomic-output.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { describeFsError, openInput, openRandomAccess } from './input-source.js';

/** Below this, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 8 * 1024 * 1024;

async function withCipher<T>(inputSize: number | undefined, run: (cipher: FrameCipher) => Promise<T>): Promise<T> {
  if (inputSize !== undefined && inputSize < WORKER_THRESHOLD) return run(inlineFrameCipher);
  const pool = new CipherWorkerPool(recommendedPoolOptions());
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

export interface EncryptArguments {
  input: string;
  output: string;
  info: string;
  blockSize?: number;
  format: 'v3' | 'v2';
}

export async function encryptCommand(args: EncryptArguments): Promise<void> {
  const blockSize = args.blockSize ?? DEFAULT_PLAINTEXT_BLOCK_SIZE;
  try {
    assertValidBlockSize(blockSize);
  } catch (error) {
    throw new CliError((error as Error).message, USAGE_EXIT);
  }
  if (args.format === 'v2' && args.blockSize !== undefined) {
    throw new CliError('--block-size applies to v3 only; v2 has no blocks', USAGE_EXIT);
  }
  const input = await openInput(args.input);
  const output = openAtomicOutput(args.output);
  const info = openAtomicOutput(args.info);
  try {
    let fileInfo: object;
    if (args.format === 'v3') {
      const keys = generateV3KeyMaterial();
      await withCipher(input.size, (cipher) => output.write(encryptV3(input.stream, { keys, blockSize, cipher })));
      fileInfo = v3FileInfo(keys, blockSize);
    } else {
      const keys = generateV2KeyMaterial();
      const encryption = encryptV2(input.stream, keys);
      await output.write(encryption.ciphertext);
      fileInfo = v2FileInfo(keys, await encryption.sha256);
    }
    await info.write([Buffer.from(`${JSON.stringify(fileInfo, null, 2)}\n`)]);
    // Ciphertext without its key is useless: if the info cannot be put in place, the ciphertext is
    // taken back too (abort after commit removes it).
    await output.commit();
    await info.commit();
  } catch (error) {
    await info.abort();
    await output.abort();
    throw error;
  }
}

export interface DecryptArguments {
  input: string;
  output: string;
  info: string;
  expectSize?: number;
  range?: { first: number; last: number };
}

async function readFileInfo(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`);
  }
  // Accept a whole event content too, as `upload --json` prints it: the `file` block is inside.
  if (typeof json === 'object' && json !== null && 'file' in json && !('v' in json)) json = json.file;
  try {
    return parseEncryptedFile(json);
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
}

export async function decryptCommand(args: DecryptArguments): Promise<void> {
  const file = await readFileInfo(args.info);
  const keys = keyMaterialOf(file);
  const output = openAtomicOutput(args.output);
  try {
    if (file.v === V3_VERSION && args.range !== undefined) {
      const ciphertext = await openRandomAccess(args.input);
      try {
        const map = await mapStream(ciphertext, declaredBlockSize(file), args.expectSize);
        const size = plaintextSizeOf(map);
        if (args.range.last >= size) {
          throw new CliError(
            `the range ${args.range.first}-${args.range.last} is outside the ${size}-byte file`,
            USAGE_EXIT,
          );
        }
        await output.write(readPlaintextRange(ciphertext, keys, map, args.range.first, args.range.last));
      } finally {
        await ciphertext.close();
      }
    } else {
      const input = await openInput(args.input);
      const plaintext =
        file.v === V3_VERSION
          ? withCipherStream(input.size, (cipher) =>
              decryptV3(input.stream, {
                keys,
                cipher,
                expectedSize: args.expectSize,
                blockSize: declaredBlockSize(file),
              }),
            )
          : checkedLength(decryptV2(input.stream, keys, file.hashes.sha256), args.expectSize);
      await output.write(args.range ? sliceRange(plaintext, args.range.first, args.range.last) : plaintext);
    }
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}

/** Like withCipher, for a generator: the pool lives exactly as long as the iteration. */
async function* withCipherStream(
  inputSize: number | undefined,
  run: (cipher: FrameCipher) => AsyncGenerator<Buffer>,
): AsyncGenerator<Buffer> {
  if (inputSize !== undefined && inputSize < WORKER_THRESHOLD) {
    yield* run(inlineFrameCipher);
    return;
  }
  const pool = new CipherWorkerPool(recommendedPoolOptions());
  try {
    yield* run(pool);
  } finally {
    await pool.close();
  }
}

async function* checkedLength(plaintext: AsyncGenerator<Buffer>, expected: number | undefined): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of plaintext) {
    total += chunk.length;
    if (expected !== undefined && total > expected)
      throw new CliError(`the file is longer than the expected ${expected} bytes`);
    yield chunk;
  }
  if (expected !== undefined && total < expected) {
    throw new CliError(`the file holds ${total} bytes, not the expected ${expected}: it was cut short`);
  }
}

/** For v2, which cannot seek: decrypt and authenticate everything, keep only the requested bytes. */
async function* sliceRange(plaintext: AsyncIterable<Buffer>, first: number, last: number): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const chunk of plaintext) {
    const from = Math.max(0, first - position);
    const to = Math.min(chunk.length, last + 1 - position);
    if (to > from) yield chunk.subarray(from, to);
    position += chunk.length;
  }
  if (position <= last)
    throw new CliError(`the range ${first}-${last} is outside the ${position}-byte file`, USAGE_EXIT);
}
