import { describe, expect, it } from 'vitest';
import { resolveByteRange } from './byte-range.js';

describe('resolveByteRange', () => {
  it('answers the whole resource without a usable header', () => {
    expect(resolveByteRange(undefined, 10)).toEqual({ kind: 'whole' });
    expect(resolveByteRange('bytes=0-1,5-6', 10)).toEqual({ kind: 'whole' });
    expect(resolveByteRange('items=0-1', 10)).toEqual({ kind: 'whole' });
    expect(resolveByteRange('bytes=5-2', 10)).toEqual({ kind: 'whole' });
    expect(resolveByteRange('bytes=-', 10)).toEqual({ kind: 'whole' });
  });

  it('resolves closed, open and suffix ranges, clamping the end to the resource', () => {
    expect(resolveByteRange('bytes=0-0', 10)).toEqual({ kind: 'partial', first: 0, last: 0 });
    expect(resolveByteRange('bytes=3-', 10)).toEqual({ kind: 'partial', first: 3, last: 9 });
    expect(resolveByteRange('bytes=3-100', 10)).toEqual({ kind: 'partial', first: 3, last: 9 });
    expect(resolveByteRange('bytes=-4', 10)).toEqual({ kind: 'partial', first: 6, last: 9 });
    expect(resolveByteRange('bytes=-40', 10)).toEqual({ kind: 'partial', first: 0, last: 9 });
  });

  it('is unsatisfiable past the end, for empty suffixes and on empty resources', () => {
    expect(resolveByteRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveByteRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveByteRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
