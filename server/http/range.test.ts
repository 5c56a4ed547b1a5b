import { describe, expect, it } from 'vitest';
import { MatrixError } from './matrix-error.js';
import { parseRange, resolveRange } from './range.js';

describe('Range parsing', () => {
  it('accepts the three single-range forms', () => {
    expect(parseRange('bytes=0-99')).toEqual({ kind: 'from', first: 0, last: 99 });
    expect(parseRange('bytes=100-')).toEqual({ kind: 'from', first: 100, last: null });
    expect(parseRange('bytes=-5')).toEqual({ kind: 'suffix', length: 5 });
    expect(parseRange(undefined)).toBeUndefined();
  });

  it('refuses multiple ranges, other units, reversed and absurd ranges with a 416', () => {
    for (const header of [
      'bytes=0-1,3-4',
      'lines=0-1',
      'bytes=9-1',
      'bytes=-',
      'bytes=a-b',
      'bytes=99999999999999999-',
    ]) {
      expect(() => parseRange(header), header).toThrow(MatrixError);
    }
  });

  it('clamps the end to the length and answers 416 from the length', () => {
    expect(resolveRange({ kind: 'from', first: 5, last: 1000 }, 10)).toEqual({ start: 5, endExclusive: 10 });
    expect(resolveRange({ kind: 'suffix', length: 1000 }, 10)).toEqual({ start: 0, endExclusive: 10 });
    expect(() => resolveRange({ kind: 'from', first: 10, last: null }, 10)).toThrow(/outside the 10 bytes/);
    expect(() => resolveRange({ kind: 'suffix', length: 1 }, 0)).toThrow(MatrixError);
  });
});
