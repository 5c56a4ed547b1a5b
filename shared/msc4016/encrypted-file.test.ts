import { describe, expect, it } from 'vitest';
import { parseEncryptedFile } from './encrypted-file.js';

const v3 = {
  v: 'org.matrix.msc4016.v3',
  key: { kty: 'oct', alg: 'A256GCM', k: 'q'.repeat(43), key_ops: ['encrypt', 'decrypt'], ext: true },
  iv: 'AAAAAAAAAAAAAAAA',
  url: 'mxc://example.org/abc',
};

describe('parseEncryptedFile', () => {
  it('accepts a v3 block with or without hashes and keeps unknown fields', () => {
    expect(parseEncryptedFile(v3).v).toBe('org.matrix.msc4016.v3');
    expect(parseEncryptedFile({ ...v3, hashes: {} }).v).toBe('org.matrix.msc4016.v3');
    expect(
      (parseEncryptedFile({ ...v3, 'com.example.extra': 1 }) as Record<string, unknown>)['com.example.extra'],
    ).toBe(1);
  });

  it('accepts a v2 block only with its sha256', () => {
    const v2 = {
      ...v3,
      v: 'v2',
      key: { ...v3.key, alg: 'A256CTR' },
      iv: 'AAAAAAAAAAAAAAAAAAAAAA',
      hashes: { sha256: 'abc' },
    };
    expect(parseEncryptedFile(v2).v).toBe('v2');
    expect(() => parseEncryptedFile({ ...v2, hashes: {} })).toThrow(/hashes\.sha256/);
  });

  it.each([
    [{ ...v3, v: 'v9' }, /unsupported encrypted file version "v9"/],
    [{ ...v3, key: { ...v3.key, kty: 'RSA' } }, /key\.kty/],
    [{ ...v3, key: { ...v3.key, alg: 'A256CTR' } }, /v3 key must be A256GCM/],
    [{ ...v3, key: { ...v3.key, ext: false } }, /key\.ext/],
    [{ ...v3, key: { ...v3.key, key_ops: ['encrypt'] } }, /key_ops must contain/],
    [{ ...v3, iv: 'not base64!' }, /iv/],
    [{ ...v3, url: 'https://example.org/file' }, /url/],
    [{ ...v3, 'org.slipstream.block_size': 0 }, /block_size/],
  ])('rejects an invalid block with a reason naming the field (%#)', (block, reason) => {
    expect(() => parseEncryptedFile(block)).toThrow(reason);
  });
});
