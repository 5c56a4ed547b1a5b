import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MatrixError } from './matrix-error.js';
import { parseRange, rangeOf, resolveRange } from './range.js';

describe('Range parsing', () => {
  it('accepts the three single-range forms', () => {
    expect(parseRange('bytes=0-99')).toEqual({ kind: 'from', first: 0, last: 99 });
    expect(parseRange('bytes=100-')).toEqual({ kind: 'from', first: 100, last: null });
    expect(parseRange('bytes=-5')).toEqual({ kind: 'suffix', length: 5 });
    expect(parseRange(undefined)).toBeUndefined();
  });

  it('ignores other units and several ranges (RFC 9110 §14.2: the whole representation is sent)', () => {
    for (const header of ['items=0-5', 'lines=0-1', 'bytes=0-1,3-4', 'bytes=0-1, -5']) {
      expect(parseRange(header), header).toBeUndefined();
    }
    // Units are case-insensitive, and empty list elements do not count.
    expect(parseRange('Bytes=2-3')).toEqual({ kind: 'from', first: 2, last: 3 });
    expect(parseRange('bytes=2-3, ')).toEqual({ kind: 'from', first: 2, last: 3 });
  });

  it('refuses a malformed, reversed or absurd byte range with a 416', () => {
    for (const header of ['bytes=9-1', 'bytes=-', 'bytes=a-b', 'bytes=99999999999999999-', '=0-1', 'bytes']) {
      expect(() => parseRange(header), header).toThrow(MatrixError);
    }
  });

  it('applies a range to GET only, and never with If-Range (this server sends no validator)', () => {
    const request = (method: string, headers: Record<string, string>) =>
      ({ method, headers: { range: 'bytes=0-5', ...headers } }) as unknown as IncomingMessage;
    expect(rangeOf(request('GET', {}))).toEqual({ kind: 'from', first: 0, last: 5 });
    expect(rangeOf(request('HEAD', {}))).toBeUndefined();
    expect(rangeOf(request('GET', { 'if-range': '"an-etag"' }))).toBeUndefined();
  });

  it('clamps the end to the length and answers 416 from the length', () => {
    expect(resolveRange({ kind: 'from', first: 5, last: 1000 }, 10)).toEqual({ start: 5, endExclusive: 10 });
    expect(resolveRange({ kind: 'suffix', length: 1000 }, 10)).toEqual({ start: 0, endExclusive: 10 });
    expect(() => resolveRange({ kind: 'from', first: 10, last: null }, 10)).toThrow(/outside the 10 bytes/);
    expect(() => resolveRange({ kind: 'suffix', length: 1 }, 0)).toThrow(MatrixError);
  });
});
