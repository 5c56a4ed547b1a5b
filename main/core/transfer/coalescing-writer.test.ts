import { randomBytes, randomFillSync } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { CoalescingWriter } from './coalescing-writer.js';

const scratch = useScratchDirectory('writer');

describe('CoalescingWriter', () => {
  it('writes every chunk in order, in fewer writes than chunks, and reports what is written', async () => {
    const path = join(scratch.path, 'out');
    const handle = await open(path, 'w+');
    await handle.write(Buffer.from('prefix'));
    const reported: number[] = [];
    const writer = new CoalescingWriter(handle, 6, (position) => reported.push(position), 256 * 1024);
    const chunks = Array.from({ length: 200 }, () => randomBytes(1 + Math.floor(Math.random() * 20_000)));
    for (const chunk of chunks) await writer.write(chunk);
    await writer.flushTo();
    await handle.close();
    const expected = Buffer.concat([Buffer.from('prefix'), ...chunks]);
    expect((await readFile(path)).equals(expected)).toBe(true);
    expect(writer.writtenTo).toBe(expected.length);
    expect(reported.at(-1)).toBe(expected.length);
    expect(reported.length).toBeLessThan(chunks.length);
    expect([...reported].sort((a, b) => a - b)).toEqual(reported);
  });

  it('copies each chunk, so the caller may reuse its memory once write resolves, through stages smaller than a chunk', async () => {
    const path = join(scratch.path, 'reused');
    const handle = await open(path, 'w+');
    const writer = new CoalescingWriter(handle, 0, undefined, 4096);
    const memory = Buffer.alloc(10_000);
    const expected: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      // One buffer, refilled for every chunk as the decryptor refills its reused plaintext memory.
      const chunk = memory.subarray(0, 1 + ((i * 7919) % memory.length));
      randomFillSync(chunk);
      expected.push(Buffer.from(chunk));
      await writer.write(chunk);
    }
    await writer.flushTo();
    await handle.close();
    expect((await readFile(path)).equals(Buffer.concat(expected))).toBe(true);
  });

  it('reports a write failure to the writer and to whoever waits for it', async () => {
    const handle = await open(join(scratch.path, 'closed'), 'w+');
    const writer = new CoalescingWriter(handle, 0);
    await handle.close();
    await writer.write(Buffer.alloc(10));
    await expect(writer.flushTo()).rejects.toThrow();
    await expect(writer.write(Buffer.alloc(1))).rejects.toThrow();
  });
});
