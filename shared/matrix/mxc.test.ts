import { describe, expect, it } from 'vitest';
import { formatMxcUri, parseMxcUri } from './mxc.js';

describe('mxc URIs', () => {
  it('splits server name and media ID, and formats them back', () => {
    for (const uri of ['mxc://example.org/abcDEF_-1', 'mxc://localhost:8448/x', 'mxc://[::1]:80/id']) {
      expect(formatMxcUri(parseMxcUri(uri))).toBe(uri);
    }
    expect(parseMxcUri('mxc://example.org/abc')).toEqual({ serverName: 'example.org', mediaId: 'abc' });
  });

  it('refuses anything that could escape into another path', () => {
    for (const uri of [
      '',
      'mxc://example.org/',
      'mxc://example.org/a/b',
      'mxc://example.org/..',
      'https://x/y',
      'mxc://ex ample/x',
      'mxc://example.org/a%2Fb',
    ]) {
      expect(() => parseMxcUri(uri), uri).toThrow(/not a valid mxc/);
    }
  });
});
