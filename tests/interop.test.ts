import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredBlockSize, keyMaterialOf, v3FileInfo } from '../main/core/codec/file-info.js';
import { generateV2KeyMaterial, generateV3KeyMaterial } from '../main/core/codec/key-material.js';
import { mapStream, readPlaintextRange, type RandomAccessCiphertext } from '../main/core/codec/random-access.js';
import { decryptV2, encryptV2 } from '../main/core/codec/v2-codec.js';
import { decryptV3 } from '../main/core/codec/v3-decryptor.js';
import { v2FileInfo } from '../main/core/codec/file-info.js';
import { parseEncryptedFile, type V3EncryptedFile } from '../shared/msc4016/encrypted-file.js';
import { chunked, collect, encryptBuffer, randomPlaintext } from './support/codec.js';
import { runReference, runReferenceOrThrow } from './support/python.js';

/**
 * Interoperability with an implementation written independently from the MSC text
 * (tests/interop/msc4016_reference.py, Python + `cryptography`): its fixtures decrypt here, and
 * what this codec writes decrypts there.
 */

interface FixtureEntry {
  name: string;
  format: 'v3' | 'v2';
  size: number;
  description: string;
  blockSizes: number[] | null;
}

const fixtureDir = new URL('./fixtures/msc4016/', import.meta.url);
const manifest: FixtureEntry[] = JSON.parse(await readFile(new URL('manifest.json', fixtureDir), 'utf8'));

async function loadFixture(name: string) {
  const [cipher, plain, info] = await Promise.all([
    readFile(new URL(`${name}.cipher`, fixtureDir)),
    readFile(new URL(`${name}.plain`, fixtureDir)),
    readFile(new URL(`${name}.json`, fixtureDir), 'utf8'),
  ]);
  return { cipher, plain, file: parseEncryptedFile(JSON.parse(info)) };
}

function inMemory(buffer: Buffer): RandomAccessCiphertext & { bytesRead: number } {
  const source = {
    size: buffer.length,
    bytesRead: 0,
    async read(start: number, end: number) {
      const slice = buffer.subarray(start, Math.min(end, buffer.length));
      source.bytesRead += slice.length;
      return slice;
    },
  };
  return source;
}

describe('fixtures from the independent implementation decrypt here', () => {
  it('covers empty, one-byte, constant, variable, zero-CRC, reference-style and v2 counter-wrap cases', () => {
    const names = manifest.map((entry) => entry.name);
    for (const expected of [
      'v3-empty',
      'v3-empty-magic',
      'v3-one-byte',
      'v3-variable',
      'v3-variable-crc-zero',
      'v3-reference-style',
      'v2-counter-wrap',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(manifest.map((entry) => [entry.name, entry] as const))(
    '%s streams to the right plaintext',
    async (name, entry) => {
      const { cipher, plain, file } = await loadFixture(name);
      expect(plain.length).toBe(entry.size);
      const keys = keyMaterialOf(file);
      const source = chunked(cipher, [777, 1, 40_000]);
      const plaintext =
        file.v === 'v2'
          ? await collect(decryptV2(source, keys, file.hashes.sha256))
          : await collect(decryptV3(source, { keys, expectedSize: entry.size, blockSize: declaredBlockSize(file) }));
      expect(plaintext.equals(plain)).toBe(true);
    },
  );

  it.each(
    manifest.filter((entry) => entry.format === 'v3' && entry.size > 1).map((entry) => [entry.name, entry] as const),
  )('%s serves random ranges, uniform or variable blocks alike', async (name, entry) => {
    const { cipher, plain, file } = await loadFixture(name);
    const keys = keyMaterialOf(file);
    const ciphertext = inMemory(cipher);
    const map = await mapStream(ciphertext, declaredBlockSize(file as V3EncryptedFile), entry.size);
    const variable = new Set(entry.blockSizes?.slice(0, -1)).size > 1;
    expect(map.kind).toBe(variable ? 'indexed' : 'uniform');
    const ranges: [number, number][] = [
      [0, 0],
      [entry.size - 1, entry.size - 1],
      [Math.floor(entry.size / 3), Math.floor(entry.size / 2)],
      [1, entry.size - 2],
    ];
    for (const [first, last] of ranges) {
      const bytes = await collect(readPlaintextRange(ciphertext, keys, map, first, last));
      expect(bytes.equals(plain.subarray(first, last + 1)), `range ${first}-${last}`).toBe(true);
    }
  });
});

describe('what this codec writes decrypts with the independent implementation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipstream-interop-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([0, 1, 65_535, 65_536, 200_001])('v3, %i bytes', async (size) => {
    const plaintext = randomPlaintext(size);
    const keys = generateV3KeyMaterial();
    await writeFile(join(dir, `v3-${size}.cipher`), await encryptBuffer(plaintext, keys, 65_536));
    await writeFile(join(dir, `v3-${size}.json`), JSON.stringify(v3FileInfo(keys, 65_536)));
    runReferenceOrThrow([
      'decrypt-v3',
      join(dir, `v3-${size}.cipher`),
      join(dir, `v3-${size}.out`),
      '--info',
      join(dir, `v3-${size}.json`),
      '--expect-size',
      String(size),
    ]);
    expect((await readFile(join(dir, `v3-${size}.out`))).equals(plaintext)).toBe(true);
  });

  it('v2, including the SHA-256 it computes', async () => {
    const plaintext = randomPlaintext(123_457);
    const keys = generateV2KeyMaterial();
    const encryption = encryptV2(chunked(plaintext, [1000, 33]), keys);
    await writeFile(join(dir, 'v2.cipher'), await collect(encryption.ciphertext));
    await writeFile(join(dir, 'v2.json'), JSON.stringify(v2FileInfo(keys, await encryption.sha256)));
    runReferenceOrThrow(['decrypt-v2', join(dir, 'v2.cipher'), join(dir, 'v2.out'), '--info', join(dir, 'v2.json')]);
    expect((await readFile(join(dir, 'v2.out'))).equals(plaintext)).toBe(true);
  });

  it('the independent decoder also rejects this codec’s output when a byte is changed', async () => {
    const plaintext = randomPlaintext(70_000);
    const keys = generateV3KeyMaterial();
    const ciphertext = await encryptBuffer(plaintext, keys, 65_536);
    ciphertext.writeUInt8(ciphertext.readUInt8(1000) ^ 4, 1000);
    await writeFile(join(dir, 'bad.cipher'), ciphertext);
    await writeFile(join(dir, 'bad.json'), JSON.stringify(v3FileInfo(keys, 65_536)));
    const result = runReference([
      'decrypt-v3',
      join(dir, 'bad.cipher'),
      join(dir, 'bad.out'),
      '--info',
      join(dir, 'bad.json'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/CRC/i);
  });

  it('variable-size, zero-CRC streams made fresh by the independent encoder decrypt here', async () => {
    const plaintext = randomPlaintext(150_000);
    await writeFile(join(dir, 'ref.plain'), plaintext);
    runReferenceOrThrow([
      'encrypt-v3',
      join(dir, 'ref.plain'),
      join(dir, 'ref.cipher'),
      '--info',
      join(dir, 'ref.json'),
      '--chunks',
      '1,100,4096,65536,7,3',
      '--zero-crc',
    ]);
    const file = parseEncryptedFile(JSON.parse(await readFile(join(dir, 'ref.json'), 'utf8')));
    const decrypted = await collect(
      decryptV3(chunked(await readFile(join(dir, 'ref.cipher')), [5000]), {
        keys: keyMaterialOf(file),
        expectedSize: plaintext.length,
      }),
    );
    expect(decrypted.equals(plaintext)).toBe(true);
  });
});
