import { describe, expect, it } from 'vitest';
import { SpareBuffers, resultMemory } from './spare-buffers.js';

describe('SpareBuffers', () => {
  it('hands out the smallest spare that fits, and none for an empty result', () => {
    const spares = new SpareBuffers(4);
    const [large, small, middle] = [new ArrayBuffer(4096), new ArrayBuffer(1024), new ArrayBuffer(2048)];
    for (const spare of [large, small, middle]) spares.put(spare);
    expect(spares.take(0)).toBeUndefined();
    expect(spares.take(1500)).toBe(middle);
    expect(spares.take(8192)).toBeUndefined();
    expect(spares.take(1)).toBe(small);
    expect(spares.take(1)).toBe(large);
    expect(spares.take(1)).toBeUndefined();
  });

  it('never holds one buffer twice, nor a detached one, nor more than its capacity', () => {
    const spares = new SpareBuffers(2);
    const buffer = new ArrayBuffer(64);
    spares.put(buffer);
    spares.put(buffer);
    expect(spares.take(1)).toBe(buffer);
    expect(spares.take(1)).toBeUndefined();
    const detached = new ArrayBuffer(64);
    structuredClone(detached, { transfer: [detached] });
    spares.put(detached);
    expect(spares.take(1)).toBeUndefined();
    const three = [new ArrayBuffer(8), new ArrayBuffer(8), new ArrayBuffer(8)];
    for (const spare of three) spares.put(spare);
    expect([spares.take(1), spares.take(1), spares.take(1)]).toEqual([three[0], three[1], undefined]);
  });

  it('takes back a spare only when the result was not written into it', () => {
    const spares = new SpareBuffers(2);
    const spare = new ArrayBuffer(64);
    spares.putUnused(spare, { storage: spare });
    expect(spares.take(1)).toBeUndefined();
    spares.putUnused(spare, { plaintexts: [] });
    expect(spares.take(1)).toBe(spare);
  });

  it('writes into a spare that fits, else into fresh memory of its own, rounded up when large', () => {
    const spare = new ArrayBuffer(100_000);
    expect(resultMemory(90_000, spare)).toBe(spare);
    const fresh = resultMemory(200_000, spare);
    expect(fresh).not.toBe(spare);
    expect(fresh.byteLength).toBe(4 * 65536);
    expect(resultMemory(100).byteLength).toBe(100);
  });
});
