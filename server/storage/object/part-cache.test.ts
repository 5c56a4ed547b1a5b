import { describe, expect, it } from 'vitest';
import { PartCache } from './part-cache.js';

describe('PartCache', () => {
  it('loads a part once however many readers ask for it at the same time', async () => {
    const cache = new PartCache(1000);
    let loads = 0;
    const load = async (): Promise<Buffer> => {
      loads += 1;
      return Buffer.alloc(100, 7);
    };
    const parts = await Promise.all([1, 2, 3].map(() => cache.get('a', 100, load)));
    expect(loads).toBe(1);
    expect(parts.every((part) => part.equals(Buffer.alloc(100, 7)))).toBe(true);
  });

  it('drops the least recently used parts past its limit, and never keeps a part too large for it', async () => {
    const cache = new PartCache(400);
    cache.put('a', Buffer.alloc(100));
    cache.put('b', Buffer.alloc(100));
    cache.put('c', Buffer.alloc(100));
    await cache.get('a', 100, async () => Buffer.alloc(100, 1)); // a is now the most recent
    cache.put('d', Buffer.alloc(100));
    cache.put('e', Buffer.alloc(100)); // over 400 bytes: b, the least recent, goes
    let reloaded = 0;
    const counting = async (): Promise<Buffer> => {
      reloaded += 1;
      return Buffer.alloc(100);
    };
    await cache.get('a', 100, counting);
    await cache.get('b', 100, counting);
    expect(reloaded).toBe(1);
    expect(cache.accepts(101)).toBe(false);
  });

  it('forgets a load that failed, so the next reader tries again', async () => {
    const cache = new PartCache(1000);
    await expect(cache.get('a', 10, () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await cache.get('a', 10, async () => Buffer.alloc(10, 2))).toEqual(Buffer.alloc(10, 2));
  });
});
