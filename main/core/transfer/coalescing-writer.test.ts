import { randomBytes } from 'node:crypto';
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

  it('reports a write failure to the writer and to whoever waits for it', async () => {
    const handle = await open(join(scratch.path, 'closed'), 'w+');
    const writer = new CoalescingWriter(handle, 0);
    await handle.close();
    await writer.write(Buffer.alloc(10));
    await expect(writer.flushTo()).rejects.toThrow();
    await expect(writer.write(Buffer.alloc(1))).rejects.toThrow();
  });
});
