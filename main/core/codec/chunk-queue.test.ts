import { describe, expect, it } from 'vitest';
import { ChunkQueue } from './chunk-queue.js';

describe('ChunkQueue', () => {
  it('hands out views into the chunks it was given, never copies, when taking', () => {
    const first = Buffer.from('abcdef');
    const second = Buffer.from('ghij');
    const queue = new ChunkQueue();
    queue.push(first);
    queue.push(second);
    queue.discard(2);
    const pieces = queue.take(6);
    expect(pieces.map((piece) => piece.toString())).toEqual(['cdef', 'gh']);
    // Same memory: a write through the original chunk shows through the piece.
    first[2] = 0x58;
    expect(pieces[0]!.toString()).toBe('Xdef');
    expect(pieces[1]!.buffer).toBe(second.buffer);
    expect(queue.length).toBe(2);
    expect(queue.take(2).map(String)).toEqual(['ij']);
    expect(queue.length).toBe(0);
  });

  it('takes bytes spread over several chunks into the start of a target buffer', () => {
    const queue = new ChunkQueue();
    for (const text of ['abc', 'defg', 'hi']) queue.push(Buffer.from(text));
    queue.discard(1);
    const target = Buffer.alloc(12, '.');
    expect(queue.takeInto(target, 6).toString()).toBe('bcdefg');
    expect(target.toString()).toBe('bcdefg......');
    expect(queue.length).toBe(2);
    expect(queue.takeContiguous(2).toString()).toBe('hi');
  });

  it('peeks across chunk boundaries at any offset without consuming', () => {
    const queue = new ChunkQueue();
    for (const text of ['ab', 'c', 'defg', 'h']) queue.push(Buffer.from(text));
    expect(queue.peek(1, 5).toString()).toBe('bcdef');
    expect(queue.peek(3, 2).toString()).toBe('de');
    expect(queue.length).toBe(8);
  });

  it('refuses to read or consume past its end', () => {
    const queue = new ChunkQueue();
    queue.push(Buffer.from('abc'));
    expect(() => queue.take(4)).toThrow(RangeError);
    expect(() => queue.peek(2, 2)).toThrow(RangeError);
    expect(() => queue.discard(4)).toThrow(RangeError);
  });

  it('keeps every byte in order through a long run of one-byte chunks taken in uneven lengths', () => {
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff));
    const queue = new ChunkQueue();
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) {
      queue.push(bytes.subarray(i, i + 1));
      if (queue.length >= 1000 + (i % 17)) out.push(...queue.take(queue.length - 3));
    }
    out.push(...queue.take(queue.length));
    expect(Buffer.concat(out).equals(bytes)).toBe(true);
  });
});
