import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodecError } from '../shared/msc4016/codec-error.js';
import { parseEncryptedFile, V2_VERSION, V3_VERSION } from '../shared/msc4016/encrypted-file.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE } from '../shared/msc4016/frame.js';
import { declaredBlockSize, keyMaterialOf, v2FileInfo, v3FileInfo } from '../main/core/codec/file-info.js';
import { generateV2KeyMaterial, generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { mapStream, plaintextSizeOf, readPlaintextRange } from '../main/core/codec/random-access.js';
import { decryptV2, encryptV2 } from '../main/core/codec/v2-codec.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { withStreamCipher } from '../main/core/codec/stream-cipher.js';
import { assertValidBlockSize, encryptV3 } from '../main/core/codec/v3-encryptor.js';
import { openAtomicOutput, sameFile, writesInPlace } from './atomic-output.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { describeFsError, openInput, openRandomAccess } from './input-source.js';

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
  assertDistinctPaths(args.input, { output: args.output, '--info': args.info });
  const opened = await openInput(args.input);
  // The plaintext's size goes into the info beside the file block (as an event's info.size), so that
  // decrypt can tell a stream cut at a block boundary from a whole one: counted, for standard input.
  const plaintextSize = { bytes: 0 };
  const input = { size: opened.size, stream: counted(opened.stream, plaintextSize) };
  const output = openAtomicOutput(args.output);
  // The info holds the key: readable by its owner alone.
  const info = openAtomicOutput(args.info, { private: true });
  try {
    let fileInfo: object;
    if (args.format === 'v3') {
      const keys = generateV3KeyMaterial();
      await output.write(
        // The output writes each buffer out before asking for the next, so their memory is reused.
        withStreamCipher(input.size, (cipher) =>
          encryptV3(input.stream, { keys, blockSize, cipher, reuseYieldedBuffers: true }),
        ),
      );
      fileInfo = v3FileInfo(keys, blockSize);
    } else {
      const keys = generateV2KeyMaterial();
      const encryption = encryptV2(input.stream, keys);
      await output.write(encryption.ciphertext);
      fileInfo = v2FileInfo(keys, await encryption.sha256);
    }
    const written = { file: fileInfo, info: { size: plaintextSize.bytes } };
    await info.write([Buffer.from(`${JSON.stringify(written, null, 2)}\n`)]);
    // The key goes in place first: a key without its ciphertext is harmless, ciphertext without its
    // key is lost data. If the ciphertext then cannot be put in place, the key is taken back too.
    await info.commit();
    await output.commit();
  } catch (error) {
    await output.abort();
    await info.abort();
    throw error;
  }
}

export interface DecryptArguments {
  input: string;
  output: string;
  info: string;
  expectSize?: number;
  range?: { first: number; last: number };
  /** Replace an existing output file (never done otherwise). */
  force?: boolean;
}

/** Passes a stream through, counting its bytes into `count.bytes`. */
async function* counted(stream: AsyncIterable<Uint8Array>, count: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    count.bytes += chunk.length;
    yield chunk;
  }
}

/** decrypt never replaces a file without being told to, as downloads never do. */
async function assertNewOutput(args: DecryptArguments): Promise<void> {
  if (args.force || writesInPlace(args.output)) return;
  const existing = await stat(args.output).catch(() => undefined);
  // A folder is refused later, with its own sentence.
  if (existing && !existing.isDirectory()) {
    throw new CliError(`${args.output} already exists; decrypt replaces a file only with --force`, USAGE_EXIT);
  }
}

/**
 * Refuses to run when two of the named paths are one file (say `--info` pointing at the input),
 * which would silently destroy data, or when two outputs both go to standard output. `-` as an
 * input is standard input and collides with nothing.
 */
function assertDistinctPaths(input: string, outputs: Record<string, string>): void {
  const named: [string, string][] = [['input', input], ...Object.entries(outputs)];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [firstName, first] = named[i]!;
      const [secondName, second] = named[j]!;
      const collide = first === '-' || second === '-' ? i > 0 && first === second : sameFile(first, second);
      if (collide) {
        throw new CliError(`${firstName} and ${secondName} are the same (${first}); give each its own`, USAGE_EXIT);
      }
    }
  }
}

/** The `file` block, and the announced plaintext size when a whole event content was given. */
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
  // Accept a whole event content too, as `upload --json` prints it: the `file` block is inside, and
  // `info.size` says how long the plaintext must be.
  let announcedSize: number | undefined;
  if (typeof json === 'object' && json !== null && 'file' in json && !('v' in json)) {
    const size = (json as { info?: { size?: unknown } }).info?.size;
    if (size !== undefined) {
      if (!Number.isSafeInteger(size) || (size as number) < 0)
        throw new CliError(`${path}: info.size is not a byte count`);
      announcedSize = size as number;
    }
    json = json.file;
  }
  try {
    return { file: parseEncryptedFile(json), announcedSize };
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
}

export async function decryptCommand(args: DecryptArguments): Promise<void> {
  assertDistinctPaths(args.input, { output: args.output });
  await assertNewOutput(args);
  const { file, announcedSize } = await readFileInfo(args.info);
  if (args.expectSize !== undefined && announcedSize !== undefined && args.expectSize !== announcedSize) {
    throw new CliError(
      `--expect-size ${args.expectSize} contradicts the size the info gives, ${announcedSize}`,
      USAGE_EXIT,
    );
  }
  const expectedSize = args.expectSize ?? announcedSize;
  const keys = keyMaterialOf(file);
  // v2 plaintext is unauthenticated until its last byte: never stream it where it cannot be taken back.
  if (file.v === V2_VERSION && writesInPlace(args.output)) {
    await decryptV2ThroughSpool(args, expectedSize);
    return;
  }
  const output = openAtomicOutput(args.output);
  try {
    if (file.v === V3_VERSION && args.range !== undefined) {
      const ciphertext = await openRandomAccess(args.input);
      try {
        const map = await mapStream(ciphertext, declaredBlockSize(file), expectedSize);
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
          ? withStreamCipher(input.size, (cipher) =>
              decryptV3(input.stream, {
                keys,
                cipher,
                expectedSize,
                blockSize: declaredBlockSize(file),
                reuseYieldedBuffers: true,
              }),
            )
          : checkedLength(decryptV2(input.stream, keys, file.hashes.sha256), expectedSize);
      await output.write(args.range ? sliceRange(plaintext, args.range.first, args.range.last) : plaintext);
    }
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}

/**
 * v2 to standard output or a device: decrypt into a private temporary file first, and copy it out
 * only once the SHA-256 matched.
 */
async function decryptV2ThroughSpool(args: DecryptArguments, expectedSize: number | undefined): Promise<void> {
  const spoolDirectory = await mkdtemp(join(tmpdir(), 'slipstream-'));
  const spool = join(spoolDirectory, 'plaintext');
  try {
    await decryptCommand({ ...args, output: spool, expectSize: expectedSize, force: false });
    await openAtomicOutput(args.output).write(createReadStream(spool, { highWaterMark: 1024 * 1024 }));
  } finally {
    await rm(spoolDirectory, { recursive: true, force: true });
  }
}

async function* checkedLength(plaintext: AsyncGenerator<Buffer>, expected: number | undefined): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of plaintext) {
    total += chunk.length;
    if (expected !== undefined && total > expected)
      throw new CodecError('TOO_LONG', `the file is longer than the expected ${expected} bytes`);
    yield chunk;
  }
  if (expected !== undefined && total < expected) {
    throw new CodecError('TRUNCATED', `the file holds ${total} bytes, not the expected ${expected}: it was cut short`);
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
