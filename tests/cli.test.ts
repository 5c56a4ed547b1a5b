/**
 * End-to-end tests of the `slipstream` command line: every test spawns `bin/slipstream` (through Node
 * with the CLI's V8 options, as its first line does) in a fresh temporary directory and checks what
 * lands on disk, stdout and stderr.
 *
 * CLI start-up costs about half a second, so shared ciphertexts are made once (`fixture`) and the
 * tests run concurrently; tests that damage a ciphertext copy it into their own directory first.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  stat,
  symlink,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  CLI_NODE_ARGS,
  CLI_PATH,
  type CliResult,
  environmentWithoutElectron,
  makeTempDir,
  partialFilesIn,
  removeTempDir,
  runCli,
  type RunOptions,
} from './support/cli.js';
import { SLIPSTREAM_NODE_FLAGS } from '../main/core/node-flags.js';

const V3 = 'org.matrix.msc4016.v3';
const BLOCK_SIZE_FIELD = 'org.slipstream.block_size';
const DEFAULT_BLOCK = 65536;
/** "MXC\x03". */
const MAGIC_LENGTH = 4;
/** A frame's 16-byte header plus its 16-byte GCM tag. */
const FRAME_OVERHEAD = 32;

interface JsonWebKeyInfo {
  kty: string;
  alg: string;
  k: string;
  key_ops: string[];
  ext: boolean;
}

/** The `file` block encrypt writes to --info. */
interface FileInfo {
  v: string;
  key: JsonWebKeyInfo;
  iv: string;
  url?: string;
  hashes?: Record<string, string>;
  [BLOCK_SIZE_FIELD]?: number;
}

function v3CiphertextLength(plaintextSize: number, blockSize: number): number {
  return MAGIC_LENGTH + plaintextSize + FRAME_OVERHEAD * Math.ceil(plaintextSize / blockSize);
}

/** Unpadded base64 of a SHA-256, as `hashes.sha256` carries it. */
function unpaddedSha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '');
}

/** Compares bytes without letting a failure print megabytes of diff. */
function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  if (actual.equals(expected)) return;
  const firstDifference = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(firstDifference, `${what}: first differing byte`).toBe(-1);
}

interface Workspace {
  readonly dir: string;
  path(name: string): string;
}

/** A fresh temporary directory for one test, removed when the test finishes. */
async function workspace(context: TestContext): Promise<Workspace> {
  const dir = await makeTempDir();
  context.onTestFinished(() => removeTempDir(dir));
  return { dir, path: (name) => join(dir, name) };
}

/** Runs the CLI and asserts it succeeded quietly. */
async function succeed(args: string[], options?: RunOptions): Promise<CliResult> {
  const result = await runCli(args, options);
  expect(result.code, `slipstream ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  expect(result.stderr, `slipstream ${args.join(' ')} wrote to stderr`).toBe('');
  return result;
}

/** The file block in an --info file: encrypt writes it beside the plaintext's size, as an event holds them. */
async function readInfo(path: string): Promise<FileInfo> {
  const written = JSON.parse(await readFile(path, 'utf8')) as { file: FileInfo } | FileInfo;
  return 'file' in written ? written.file : written;
}

interface Encrypted {
  readonly input: string;
  readonly plaintext: Buffer;
  readonly ciphertext: string;
  /** What encrypt wrote: the file block and the plaintext's size. */
  readonly info: string;
  /** The file block alone, with no size: as from an event that leaves out info.size. */
  readonly bareInfo: string;
  readonly file: FileInfo;
}

/** Writes `plaintext` to `<name>.plain` and encrypts it to `<name>.enc` with its info in `<name>.json`. */
async function encrypt(ws: Workspace, name: string, plaintext: Buffer, extra: string[] = []): Promise<Encrypted> {
  const input = ws.path(`${name}.plain`);
  const ciphertext = ws.path(`${name}.enc`);
  const info = ws.path(`${name}.json`);
  await writeFile(input, plaintext);
  await succeed(['encrypt', input, ciphertext, '--info', info, ...extra]);
  const file = await readInfo(info);
  const bareInfo = ws.path(`${name}.bare.json`);
  await writeFile(bareInfo, JSON.stringify(file));
  return { input, plaintext, ciphertext, info, bareInfo, file };
}

/** Decrypts to a file in `ws` and returns its bytes. */
async function decrypt(ws: Workspace, ciphertext: string, info: string, extra: string[] = []): Promise<Buffer> {
  const output = ws.path(`out-${randomBytes(4).toString('hex')}`);
  await succeed(['decrypt', ciphertext, output, '--info', info, ...extra]);
  return readFile(output);
}

/** Decrypts each range and checks it is exactly plaintext[first..last]. */
async function expectRanges(
  ws: Workspace,
  encrypted: { ciphertext: string; info: string },
  plaintext: Buffer,
  ranges: [number, number][],
): Promise<void> {
  await Promise.all(
    ranges.map(async ([first, last]) => {
      const bytes = await decrypt(ws, encrypted.ciphertext, encrypted.info, ['--range', `${first}-${last}`]);
      expectSameBytes(bytes, plaintext.subarray(first, last + 1), `--range ${first}-${last}`);
    }),
  );
}

function expectV3Info(file: FileInfo, blockSize: number): void {
  expect(file.v).toBe(V3);
  expect(file.key.alg).toBe('A256GCM');
  expect(file.key.kty).toBe('oct');
  expect(file.key.ext).toBe(true);
  expect(file.key.key_ops).toEqual(expect.arrayContaining(['encrypt', 'decrypt']));
  expect(Buffer.from(file.key.k, 'base64url')).toHaveLength(32);
  expect(Buffer.from(file.iv, 'base64')).toHaveLength(12);
  expect(file).not.toHaveProperty('url');
  expect(file[BLOCK_SIZE_FIELD]).toBe(blockSize);
}

/**
 * A failure must be reported as one `slipstream: ` line with a non-zero status, and leave neither the
 * named outputs nor any hidden `.<name>.*.partial` temporary in the workspace.
 */
async function expectCleanFailure(
  result: CliResult,
  ws: Workspace,
  outputs: string[],
  expected: { code?: number; message?: RegExp } = {},
): Promise<void> {
  expect(result.code).not.toBe(0);
  if (expected.code !== undefined) expect(result.code, result.stderr).toBe(expected.code);
  expect(result.stderr).toMatch(/^slipstream: [^\n]+\n$/);
  if (expected.message) expect(result.stderr).toMatch(expected.message);
  for (const output of outputs) expect(existsSync(output), `${output} was left behind`).toBe(false);
  expect(await partialFilesIn(ws.dir)).toEqual([]);
}

function flipByte(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = copy[offset]! ^ 0x5a;
  return copy;
}

/**
 * Ciphertexts shared by many tests: one plaintext of 3 full 64 KiB blocks and a partial fourth,
 * encrypted as v3 with the default block size, as v3 with 1000-byte blocks, and as v2.
 */
const SIZE = 3 * DEFAULT_BLOCK + 3892; // 200500: also 200 blocks of 1000 and a 500-byte tail
interface Fixture {
  readonly dir: string;
  readonly plaintext: Buffer;
  readonly v3: Encrypted;
  readonly v3Small: Encrypted;
  readonly v2: Encrypted;
}
let fixture: Fixture;

beforeAll(async () => {
  const dir = await makeTempDir();
  const ws: Workspace = { dir, path: (name) => join(dir, name) };
  const plaintext = randomBytes(SIZE);
  const [v3, v3Small, v2] = await Promise.all([
    encrypt(ws, 'v3', plaintext),
    encrypt(ws, 'v3-1000', plaintext, ['--block-size', '1000']),
    encrypt(ws, 'v2', plaintext, ['--format', 'v2']),
  ]);
  fixture = { dir, plaintext, v3, v3Small, v2 };
});

afterAll(async () => {
  if (fixture) await removeTempDir(fixture.dir);
});

describe.concurrent('encrypt and decrypt (v3)', () => {
  it.for([0, 1, 65535, 65536, 65537, 3_000_000])(
    'encrypt then decrypt round-trips %i bytes and writes a v3 file block with the default 65536-byte blocks',
    async (size, context) => {
      const ws = await workspace(context);
      const encrypted = await encrypt(ws, 'file', randomBytes(size));
      expectV3Info(encrypted.file, DEFAULT_BLOCK);
      expect((await readFile(encrypted.ciphertext)).length).toBe(v3CiphertextLength(size, DEFAULT_BLOCK));
      expectSameBytes(await decrypt(ws, encrypted.ciphertext, encrypted.info), encrypted.plaintext, 'decrypted');
    },
  );

  it('a custom --block-size 4096 is honoured: ciphertext is 4 + size + 32·ceil(size/4096) and the info declares it', async (context) => {
    const ws = await workspace(context);
    const size = 10_000;
    const encrypted = await encrypt(ws, 'file', randomBytes(size), ['--block-size', '4096']);
    expectV3Info(encrypted.file, 4096);
    const ciphertext = await readFile(encrypted.ciphertext);
    expect(ciphertext.length).toBe(4 + size + 32 * Math.ceil(size / 4096));
    expectSameBytes(await decrypt(ws, encrypted.ciphertext, encrypted.info), encrypted.plaintext, 'decrypted');
  });
});

describe.concurrent('--format v2', () => {
  it('round-trips and writes a v2 file block: A256CTR, a 16-byte IV with a zero counter half, the SHA-256 of the ciphertext', async (context) => {
    const ws = await workspace(context);
    const { file } = fixture.v2;
    expect(file.v).toBe('v2');
    expect(file.key.alg).toBe('A256CTR');
    expect(file.key.kty).toBe('oct');
    expect(file.key.ext).toBe(true);
    expect(file.key.key_ops).toEqual(expect.arrayContaining(['encrypt', 'decrypt']));
    expect(Buffer.from(file.key.k, 'base64url')).toHaveLength(32);
    expect(file).not.toHaveProperty('url');
    const iv = Buffer.from(file.iv, 'base64');
    expect(iv).toHaveLength(16);
    expect(iv.subarray(8).equals(Buffer.alloc(8))).toBe(true);
    const ciphertext = await readFile(fixture.v2.ciphertext);
    expect(ciphertext.length).toBe(SIZE);
    expect(file.hashes?.sha256).toBe(unpaddedSha256(ciphertext));
    expectSameBytes(await decrypt(ws, fixture.v2.ciphertext, fixture.v2.info), fixture.plaintext, 'decrypted');
  });
});

describe.concurrent('- for standard input and output', () => {
  it.for([1, SIZE])(
    'encrypt - - and decrypt - - round-trip %i bytes of v3 through stdin and stdout',
    async (size, context) => {
      const ws = await workspace(context);
      const plaintext = randomBytes(size);
      const info = ws.path('info.json');
      const encrypted = await succeed(['encrypt', '-', '-', '--info', info], { stdin: plaintext });
      expectV3Info(await readInfo(info), DEFAULT_BLOCK);
      expect(encrypted.stdout.length).toBe(v3CiphertextLength(size, DEFAULT_BLOCK));
      const decrypted = await succeed(['decrypt', '-', '-', '--info', info], { stdin: encrypted.stdout });
      expectSameBytes(decrypted.stdout, plaintext, 'decrypted');
    },
  );
});

describe.concurrent('decrypt --range', () => {
  it('outputs exactly bytes first..last with the default block size: first, last, across a boundary, inside the partial last block', async (context) => {
    const ws = await workspace(context);
    await expectRanges(ws, fixture.v3, fixture.plaintext, [
      [0, 0],
      [SIZE - 1, SIZE - 1],
      [DEFAULT_BLOCK - 6, DEFAULT_BLOCK + 9],
      [3 * DEFAULT_BLOCK + 100, SIZE - 2],
    ]);
  });

  it('outputs exactly bytes first..last with --block-size 1000: first, last, across a boundary, inside the partial last block', async (context) => {
    const ws = await workspace(context);
    await expectRanges(ws, fixture.v3Small, fixture.plaintext, [
      [0, 0],
      [SIZE - 1, SIZE - 1],
      [995, 1004],
      [200_100, 200_400],
    ]);
  });

  it('outputs exactly bytes first..last of a v2 file', async (context) => {
    const ws = await workspace(context);
    await expectRanges(ws, fixture.v2, fixture.plaintext, [
      [SIZE - 1, SIZE - 1],
      [DEFAULT_BLOCK - 6, DEFAULT_BLOCK + 9],
    ]);
  });

  it('a range past the end fails with a non-zero status and one stderr line', async (context) => {
    const ws = await workspace(context);
    const cases = [fixture.v3, fixture.v2].map((encrypted, i) => ({ encrypted, output: ws.path(`out-${i}`) }));
    // Both processes must have ended before the directory is checked for temporaries.
    const results = await Promise.all(
      cases.map(({ encrypted, output }) =>
        runCli(['decrypt', encrypted.ciphertext, output, '--info', encrypted.info, '--range', `200000-${SIZE}`]),
      ),
    );
    for (const [i, result] of results.entries()) {
      await expectCleanFailure(result, ws, [cases[i]!.output], { message: /range/ });
    }
  });
});

describe.concurrent('accepted --info forms', () => {
  it('decrypt accepts a file block without org.slipstream.block_size, streaming and with --range', async (context) => {
    const ws = await workspace(context);
    const undeclared = async (encrypted: Encrypted, name: string) => {
      const { [BLOCK_SIZE_FIELD]: _declared, ...file } = encrypted.file;
      const info = ws.path(name);
      await writeFile(info, JSON.stringify(file));
      return { ciphertext: encrypted.ciphertext, info };
    };
    const v3 = await undeclared(fixture.v3, 'v3.json');
    const v3Small = await undeclared(fixture.v3Small, 'v3-1000.json');
    expect(await readInfo(v3.info)).not.toHaveProperty(BLOCK_SIZE_FIELD);
    await Promise.all([
      decrypt(ws, v3.ciphertext, v3.info).then((bytes) => expectSameBytes(bytes, fixture.plaintext, 'streamed')),
      expectRanges(ws, v3Small, fixture.plaintext, [[995, 1004]]),
    ]);
  });

  it('decrypt accepts a whole event content {msgtype, body, file, info} as --info', async (context) => {
    const ws = await workspace(context);
    const content = {
      msgtype: 'm.file',
      body: 'plaintext.bin',
      file: { ...fixture.v3.file, url: 'mxc://example.org/slipstream' },
      info: { size: SIZE, mimetype: 'application/octet-stream' },
    };
    const info = ws.path('event.json');
    await writeFile(info, JSON.stringify(content));
    expectSameBytes(await decrypt(ws, fixture.v3.ciphertext, info), fixture.plaintext, 'decrypted');
  });
});

describe.concurrent('the size encrypt records', () => {
  it('encrypt writes the plaintext size beside the file block, also when reading standard input', async (context) => {
    const ws = await workspace(context);
    const written = JSON.parse(await readFile(fixture.v3.info, 'utf8')) as { info: { size: number } };
    expect(written.info).toEqual({ size: SIZE });
    const info = ws.path('stdin.json');
    await succeed(['encrypt', '-', ws.path('stdin.enc'), '--info', info], {
      stdin: fixture.plaintext.subarray(0, 12345),
    });
    expect((JSON.parse(await readFile(info, 'utf8')) as { info: { size: number } }).info).toEqual({ size: 12345 });
  });

  it('decrypt refuses a stream cut exactly at a block boundary when the info gives the size', async (context) => {
    const ws = await workspace(context);
    for (const encrypted of [fixture.v3, fixture.v2]) {
      const cut = ws.path(`cut-${encrypted === fixture.v2 ? 'v2' : 'v3'}.enc`);
      await copyFile(encrypted.ciphertext, cut);
      await truncate(cut, MAGIC_LENGTH + 2 * (DEFAULT_BLOCK + FRAME_OVERHEAD));
      const output = ws.path(`out-${encrypted === fixture.v2 ? 'v2' : 'v3'}`);
      const result = await runCli(['decrypt', cut, output, '--info', encrypted.info]);
      await expectCleanFailure(result, ws, [output], { code: 1 });
    }
  });
});

describe.concurrent('--expect-size', () => {
  it('--expect-size equal to the true size succeeds', async (context) => {
    const ws = await workspace(context);
    const bytes = await decrypt(ws, fixture.v3.ciphertext, fixture.v3.bareInfo, ['--expect-size', String(SIZE)]);
    expectSameBytes(bytes, fixture.plaintext, 'decrypted');
  });

  it('--expect-size one more than the true size fails with exit 1 naming the expected size', async (context) => {
    const ws = await workspace(context);
    const output = ws.path('out');
    const result = await runCli([
      'decrypt',
      fixture.v3.ciphertext,
      output,
      '--info',
      fixture.v3.bareInfo,
      '--expect-size',
      String(SIZE + 1),
    ]);
    await expectCleanFailure(result, ws, [output], { code: 1, message: new RegExp(`\\b${SIZE + 1}\\b`) });
  });

  it('--expect-size with --range: a wrong size fails with exit 1 naming the expected size', async (context) => {
    const ws = await workspace(context);
    const output = ws.path('out');
    const result = await runCli([
      'decrypt',
      fixture.v3.ciphertext,
      output,
      '--info',
      fixture.v3.bareInfo,
      '--expect-size',
      String(SIZE + 1),
      '--range',
      '0-9',
    ]);
    await expectCleanFailure(result, ws, [output], { code: 1, message: new RegExp(`\\b${SIZE + 1}\\b`) });
  });

  it('a ciphertext cut at a block boundary decrypts from a bare file block but fails with --expect-size', async (context) => {
    const ws = await workspace(context);
    const cut = ws.path('cut.enc');
    await copyFile(fixture.v3.ciphertext, cut);
    await truncate(cut, MAGIC_LENGTH + 2 * (DEFAULT_BLOCK + FRAME_OVERHEAD));
    const output = ws.path('expected');
    const [withoutExpectation, result] = await Promise.all([
      decrypt(ws, cut, fixture.v3.bareInfo),
      runCli(['decrypt', cut, output, '--info', fixture.v3.bareInfo, '--expect-size', String(SIZE)]),
    ]);
    expectSameBytes(withoutExpectation, fixture.plaintext.subarray(0, 2 * DEFAULT_BLOCK), 'cut short');
    await expectCleanFailure(result, ws, [output], { code: 1, message: new RegExp(`\\b${SIZE}\\b`) });
  });
});

interface FailureCase {
  readonly name: string;
  /** Prepares the workspace and returns the CLI arguments, the paths that must not exist afterwards and what to expect. */
  prepare(ws: Workspace): Promise<{ args: string[]; outputs: string[]; code?: number; message?: RegExp }>;
}

/** A copy of a fixture ciphertext in the workspace with one byte changed. */
async function tamperedCopy(ws: Workspace, encrypted: Encrypted, offset: number): Promise<string> {
  const path = ws.path('tampered.enc');
  await writeFile(path, flipByte(await readFile(encrypted.ciphertext), offset));
  return path;
}

/** A byte inside the ciphertext of block 1 of the default-block fixture. */
const BLOCK_1_BODY = MAGIC_LENGTH + (DEFAULT_BLOCK + FRAME_OVERHEAD) + 16 + 1000;

const failureCases: FailureCase[] = [
  {
    name: 'a tampered ciphertext byte in the middle fails naming the block and the code',
    async prepare(ws) {
      const out = ws.path('out');
      const input = await tamperedCopy(ws, fixture.v3, BLOCK_1_BODY);
      return {
        args: ['decrypt', input, out, '--info', fixture.v3.info],
        outputs: [out],
        code: 1,
        message: /block 1\b.*\[(CRC_MISMATCH|TAMPERED_BLOCK)\]/,
      };
    },
  },
  {
    name: 'a tampered ciphertext byte read with --range fails naming the code',
    async prepare(ws) {
      const out = ws.path('out');
      const input = await tamperedCopy(ws, fixture.v3, BLOCK_1_BODY);
      return {
        args: [
          'decrypt',
          input,
          out,
          '--info',
          fixture.v3.info,
          '--range',
          `${DEFAULT_BLOCK - 6}-${DEFAULT_BLOCK + 9}`,
        ],
        outputs: [out],
        code: 1,
        message: /\[(CRC_MISMATCH|TAMPERED_BLOCK)\]/,
      };
    },
  },
  {
    name: 'a wrong key (another valid 32-byte key) fails authentication',
    async prepare(ws) {
      const out = ws.path('out');
      const info = ws.path('wrong-key.json');
      const file = { ...fixture.v3.file, key: { ...fixture.v3.file.key, k: randomBytes(32).toString('base64url') } };
      await writeFile(info, JSON.stringify(file));
      return {
        args: ['decrypt', fixture.v3.ciphertext, out, '--info', info],
        outputs: [out],
        code: 1,
        message: /authentication/,
      };
    },
  },
  {
    name: 'a ciphertext without the magic fails with BAD_MAGIC',
    async prepare(ws) {
      const out = ws.path('out');
      const input = await tamperedCopy(ws, fixture.v3, 0);
      return {
        args: ['decrypt', input, out, '--info', fixture.v3.info],
        outputs: [out],
        code: 1,
        message: /\[BAD_MAGIC\]/,
      };
    },
  },
  {
    name: 'a ciphertext cut inside a block fails with TRUNCATED',
    async prepare(ws) {
      const out = ws.path('out');
      const input = ws.path('cut.enc');
      await writeFile(input, (await readFile(fixture.v3.ciphertext)).subarray(0, 100_000));
      return {
        args: ['decrypt', input, out, '--info', fixture.v3.info],
        outputs: [out],
        code: 1,
        message: /\[TRUNCATED\]/,
      };
    },
  },
  {
    name: 'a missing info file fails naming it',
    async prepare(ws) {
      const out = ws.path('out');
      return {
        args: ['decrypt', fixture.v3.ciphertext, out, '--info', ws.path('absent.json')],
        outputs: [out],
        code: 1,
        message: /absent\.json/,
      };
    },
  },
  {
    name: 'an info file that is not JSON fails',
    async prepare(ws) {
      const out = ws.path('out');
      const info = ws.path('garbage.json');
      await writeFile(info, '{"v": "org.matrix.msc4016.v3", oops');
      return {
        args: ['decrypt', fixture.v3.ciphertext, out, '--info', info],
        outputs: [out],
        code: 1,
        message: /JSON/,
      };
    },
  },
  {
    name: 'an info file with an unsupported "v" fails',
    async prepare(ws) {
      const out = ws.path('out');
      const info = ws.path('v9.json');
      await writeFile(info, JSON.stringify({ ...fixture.v3.file, v: 'org.matrix.msc4016.v9' }));
      return {
        args: ['decrypt', fixture.v3.ciphertext, out, '--info', info],
        outputs: [out],
        code: 1,
        message: /unsupported/,
      };
    },
  },
  {
    name: 'a missing input file fails naming it',
    async prepare(ws) {
      const out = ws.path('out');
      return {
        args: ['decrypt', ws.path('absent.enc'), out, '--info', fixture.v3.info],
        outputs: [out],
        code: 1,
        message: /absent\.enc/,
      };
    },
  },
  {
    name: 'encrypt --block-size 0 fails with exit 2 and writes neither output nor info',
    async prepare(ws) {
      const [out, info] = [ws.path('out'), ws.path('info.json')];
      return {
        args: ['encrypt', fixture.v3.input, out, '--info', info, '--block-size', '0'],
        outputs: [out, info],
        code: 2,
        message: /block size/,
      };
    },
  },
  {
    name: 'encrypt --block-size that is not a number fails with exit 2',
    async prepare(ws) {
      const [out, info] = [ws.path('out'), ws.path('info.json')];
      return {
        args: ['encrypt', fixture.v3.input, out, '--info', info, '--block-size', '64k'],
        outputs: [out, info],
        code: 2,
        message: /--block-size/,
      };
    },
  },
  {
    name: 'encrypt whose --info cannot be written (it is a directory) fails and leaves no ciphertext',
    async prepare(ws) {
      const out = ws.path('out');
      const info = ws.path('info-is-a-directory');
      await mkdir(info);
      return { args: ['encrypt', fixture.v3.input, out, '--info', info], outputs: [out], code: 1 };
    },
  },
  {
    name: 'an unknown command fails with exit 2',
    async prepare(ws) {
      const out = ws.path('out');
      return { args: ['frobnicate', fixture.v3.ciphertext, out], outputs: [out], code: 2, message: /frobnicate/ };
    },
  },
  {
    name: 'decrypt without --info fails with exit 2',
    async prepare(ws) {
      const out = ws.path('out');
      return { args: ['decrypt', fixture.v3.ciphertext, out], outputs: [out], code: 2, message: /--info/ };
    },
  },
  {
    name: 'a v2 file with a tampered byte fails with HASH_MISMATCH',
    async prepare(ws) {
      const out = ws.path('out');
      const input = await tamperedCopy(ws, fixture.v2, 100_000);
      return {
        args: ['decrypt', input, out, '--info', fixture.v2.info],
        outputs: [out],
        code: 1,
        message: /\[HASH_MISMATCH\]/,
      };
    },
  },
];

describe.concurrent(
  'every failure: non-zero exit, one "slipstream: " line on stderr, no output and no .partial left',
  () => {
    it.for(failureCases)('$name', async ({ prepare }, context) => {
      const ws = await workspace(context);
      const { args, outputs, ...expected } = await prepare(ws);
      await expectCleanFailure(await runCli(args), ws, outputs, expected);
    });

    it('a failed decrypt does not clobber an existing output file', async (context) => {
      const ws = await workspace(context);
      const sentinel = 'sentinel: not to be overwritten\n';
      const v3Input = await tamperedCopy(ws, fixture.v3, BLOCK_1_BODY);
      const v2Input = ws.path('tampered-v2.enc');
      await writeFile(v2Input, flipByte(await readFile(fixture.v2.ciphertext), SIZE - 1));
      const cases = [
        { input: v3Input, info: fixture.v3.info, output: ws.path('v3-out') },
        { input: v2Input, info: fixture.v2.info, output: ws.path('v2-out') },
      ];
      await Promise.all(
        cases.map(async ({ input, info, output }) => {
          await writeFile(output, sentinel);
          const result = await runCli(['decrypt', input, output, '--info', info, '--force']);
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/^slipstream: [^\n]+\n$/);
          expect(await readFile(output, 'utf8')).toBe(sentinel);
        }),
      );
      expect(await partialFilesIn(ws.dir)).toEqual([]);
    });
  },
);

describe('environment', () => {
  it('runs without Electron: no ELECTRON_* variables needed', async (context) => {
    const ws = await workspace(context);
    const env = environmentWithoutElectron();
    expect(Object.keys(env).filter((name) => name.startsWith('ELECTRON_'))).toEqual([]);
    const output = ws.path('decrypted');
    await succeed(['decrypt', fixture.v3.ciphertext, output, '--info', fixture.v3.info], { env });
    expectSameBytes(await readFile(output), fixture.plaintext, 'decrypted');
  });

  it('runs as an executable, its first line starting Node with the V8 options of main/core/node-flags.ts', async (context) => {
    const [firstLine] = (await readFile(CLI_PATH, 'utf8')).split('\n');
    expect(firstLine).toBe(`#!/usr/bin/env -S node ${SLIPSTREAM_NODE_FLAGS.join(' ')}`);
    const ws = await workspace(context);
    const output = ws.path('decrypted');
    // The file itself, not `node <file>`: the kernel and env(1) read the first line.
    await new Promise<void>((resolve, reject) =>
      execFile(CLI_PATH, ['decrypt', fixture.v3.ciphertext, output, '--info', fixture.v3.info], (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    expectSameBytes(await readFile(output), fixture.plaintext, 'decrypted');
  });
});

describe('how bin/slipstream loads the CLI (bin/cli-loader.mjs)', () => {
  const checkout = join(import.meta.dirname, '..');
  const bundles = async (): Promise<string[]> =>
    (await readdir(join(checkout, '.cache', 'cli')).catch(() => [] as string[])).filter(
      (name) => !name.endsWith('.tmp'),
    );

  it('runs from a bundle of the checkout, doing what the sources do through tsx', async (context) => {
    const ws = await workspace(context);
    const fromSource = { env: { ...process.env, SLIPSTREAM_CLI_FROM_SOURCE: '1' } };
    const [bundledHelp, sourceHelp] = await Promise.all([runCli(['--help']), runCli(['--help'], fromSource)]);
    expect(bundledHelp.code).toBe(0);
    expect(bundledHelp.stdout.toString('utf8')).toMatch(/slipstream upload <file>/);
    expect(bundledHelp.stdout.toString('utf8')).toBe(sourceHelp.stdout.toString('utf8'));
    // Both decrypt the same ciphertext to the same bytes.
    await succeed(['decrypt', fixture.v3.ciphertext, ws.path('bundled'), '--info', fixture.v3.info]);
    await succeed(['decrypt', fixture.v3.ciphertext, ws.path('source'), '--info', fixture.v3.info], fromSource);
    expectSameBytes(await readFile(ws.path('bundled')), fixture.plaintext, 'bundled');
    expectSameBytes(await readFile(ws.path('source')), fixture.plaintext, 'source');
    // The bundle holds the CLI and, beside it, the cipher worker the worker pool starts.
    const built = await bundles();
    expect(built.length).toBeGreaterThan(0);
    for (const name of built) {
      expect(existsSync(join(checkout, '.cache', 'cli', name, 'main.js'))).toBe(true);
      expect(existsSync(join(checkout, '.cache', 'cli', name, 'cipher-worker.js'))).toBe(true);
    }
  });

  it('makes a new bundle on the first run after a source file changed', async () => {
    await succeed(['--help']);
    const before = await bundles();
    // An edit, as far as the key can tell: a new modification time on one source (its bytes untouched).
    const source = join(checkout, 'cli', 'cli-error.ts');
    const { atime, mtime } = await stat(source);
    await utimes(source, atime, new Date());
    try {
      await succeed(['--help']);
    } finally {
      await utimes(source, atime, mtime);
    }
    expect((await bundles()).filter((name) => !before.includes(name))).toHaveLength(1);
  });
});

describe.concurrent('outputs that are not regular files', () => {
  it('writes a device such as /dev/null in place, never renaming over it', async () => {
    const result = await runCli(['decrypt', fixture.v3.ciphertext, '/dev/null', '--info', fixture.v3.info]);
    expect(result.code).toBe(0);
    const device = await stat('/dev/null');
    expect(device.isCharacterDevice()).toBe(true);
  });

  it('refuses a directory as the output, in one line', async (context) => {
    const ws = await workspace(context);
    const result = await runCli(['decrypt', fixture.v3.ciphertext, ws.dir, '--info', fixture.v3.info]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^slipstream: .* is a directory; give a file name\n$/);
  });

  it('names the path the user gave, not the hidden temporary, when the output cannot be written', async (context) => {
    const ws = await workspace(context);
    const target = ws.path('missing-dir/out');
    const result = await runCli(['decrypt', fixture.v3.ciphertext, target, '--info', fixture.v3.info]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`slipstream: cannot write ${target}: no such file or directory\n`);
  });
});

/** Runs a shell pipeline around the CLI, for what only a shell can set up (pipes, process substitution). */
async function runShell(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { env: { ...process.env, SLIPSTREAM: [process.execPath, ...CLI_NODE_ARGS].join(' ') } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.concurrent('what the review of the CLI found', () => {
  it('a stream cut at a block boundary fails when the --info is an event content announcing info.size', async (context) => {
    const ws = await workspace(context);
    const cut = ws.path('cut.enc');
    await writeFile(cut, (await readFile(fixture.v3.ciphertext)).subarray(0, 4 + 2 * (DEFAULT_BLOCK + 32)));
    const content = ws.path('content.json');
    await writeFile(
      content,
      JSON.stringify({ msgtype: 'm.file', body: 'x', file: fixture.v3.file, info: { size: SIZE } }),
    );
    const out = ws.path('out');
    const result = await runCli(['decrypt', cut, out, '--info', content]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[TRUNCATED\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('a tampered v2 file decrypted to standard output writes nothing there', async (context) => {
    const ws = await workspace(context);
    const bad = ws.path('bad.enc');
    await writeFile(bad, flipByte(await readFile(fixture.v2.ciphertext), 10));
    const result = await runCli(['decrypt', bad, '-', '--info', fixture.v2.info]);
    expect(result.code).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/HASH_MISMATCH/);
  });

  it('a v2 file decrypted to standard output arrives whole once verified', async () => {
    const result = await runCli(['decrypt', fixture.v2.ciphertext, '-', '--info', fixture.v2.info]);
    expect(result.code).toBe(0);
    expect(result.stdout.equals(fixture.plaintext)).toBe(true);
  });

  it('refuses --info naming the input, or the output, or both outputs on standard output', async (context) => {
    const ws = await workspace(context);
    const input = ws.path('in');
    await writeFile(input, 'precious');
    for (const args of [
      ['encrypt', input, ws.path('out'), '--info', input],
      ['encrypt', input, ws.path('same'), '--info', ws.path('same')],
      ['encrypt', input, '-', '--info', '-'],
      ['decrypt', fixture.v3.ciphertext, fixture.v3.ciphertext, '--info', fixture.v3.info],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^slipstream: .* are the same .*\n$/);
    }
    expect(await readFile(input, 'utf8')).toBe('precious');
  });

  it('writes the key file readable by its owner only, and keeps the mode of a file it replaces', async (context) => {
    const ws = await workspace(context);
    const input = ws.path('in');
    await writeFile(input, randomBytes(1000));
    const output = ws.path('out.enc');
    await writeFile(output, 'old', { mode: 0o640 });
    await chmod(output, 0o640);
    const info = ws.path('info.json');
    expect((await runCli(['encrypt', input, output, '--info', info])).code).toBe(0);
    expect((await stat(info)).mode & 0o777).toBe(0o600);
    expect((await stat(output)).mode & 0o777).toBe(0o640);
  });

  it('writes through a symbolic link to the file it names', async (context) => {
    const ws = await workspace(context);
    const real = ws.path('real.bin');
    await writeFile(real, 'old');
    const link = ws.path('link.bin');
    await symlink(real, link);
    const refused = await runCli(['decrypt', fixture.v3.ciphertext, link, '--info', fixture.v3.info]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`slipstream: ${link} already exists; decrypt replaces a file only with --force\n`);
    expect(await readFile(real, 'utf8')).toBe('old');
    expect((await runCli(['decrypt', fixture.v3.ciphertext, link, '--info', fixture.v3.info, '--force'])).code).toBe(0);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await readFile(real)).equals(fixture.plaintext)).toBe(true);
  });

  it('a reader closing the pipe early is fine for decrypt and a failure for encrypt', async (context) => {
    const ws = await workspace(context);
    const decrypt = await runShell(
      `$SLIPSTREAM decrypt ${fixture.v3.ciphertext} - --info ${fixture.v3.info} | head -c 10 > /dev/null; echo "status \${PIPESTATUS[0]}"`,
    );
    expect(decrypt.stdout).toBe('status 0\n');
    const big = ws.path('big');
    await writeFile(big, randomBytes(4 * 1024 * 1024));
    const info = ws.path('info.json');
    const encrypt = await runShell(
      `$SLIPSTREAM encrypt ${big} - --info ${info} | head -c 10 > /dev/null; echo "status \${PIPESTATUS[0]}"`,
    );
    expect(encrypt.stdout).toBe('status 1\n');
    expect(encrypt.stderr).toMatch(/standard output was closed before the ciphertext was complete/);
    expect(existsSync(info)).toBe(false);
  });

  it('a full disk on standard output is reported, not hung on', async () => {
    const result = await runShell(
      `$SLIPSTREAM decrypt ${fixture.v3.ciphertext} - --info ${fixture.v3.info} > /dev/full`,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^slipstream: cannot write standard output: the disk is full\n$/);
  });

  it('a full disk behind an output path is reported in one line, not as a crash', async () => {
    // /dev/full as a path is written in place, through the same file stream a temporary gets.
    const result = await runCli(['decrypt', fixture.v3.ciphertext, '/dev/full', '--info', fixture.v3.info]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^slipstream: cannot write \/dev\/full: the disk is full\n$/);
  });

  it('reads its input from a pipe given as a path (process substitution)', async (context) => {
    const ws = await workspace(context);
    const out = ws.path('out');
    const result = await runShell(
      `$SLIPSTREAM decrypt <(cat ${fixture.v3.ciphertext}) ${out} --info ${fixture.v3.info}`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect((await readFile(out)).equals(fixture.plaintext)).toBe(true);
  });
});
