import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Writes `size` bytes of an AES-CTR keystream: as fast as the disk, incompressible, and no two blocks
 * anywhere in the file alike, so a block served at the wrong offset can never look right by accident.
 * The demo, the benchmarks and the tests all make their files this way.
 */
export async function makeSampleFile(path: string, size: number): Promise<string> {
  const generator = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size;) {
      const length = Math.min(zeros.length, size - written);
      await handle.write(generator.update(zeros.subarray(0, length)));
      written += length;
    }
  } finally {
    await handle.close();
  }
  return path;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
