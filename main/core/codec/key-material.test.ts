import { describe, expect, it } from 'vitest';
import { isCodecError } from '../../../shared/msc4016/codec-error.js';
import { decodeBase64Url, decodeUnpaddedBase64, encodeBase64Url, encodeUnpaddedBase64 } from './base64.js';
import { v2FileInfo, v3FileInfo, keyMaterialOf } from './file-info.js';
import { exportJsonWebKey, generateV2KeyMaterial, generateV3KeyMaterial, importKeyMaterial } from './key-material.js';

describe('base64 as Matrix uses it', () => {
  it('writes unpadded standard base64 and unpadded base64url', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(encodeUnpaddedBase64(bytes)).toBe('+//+AQ');
    expect(encodeBase64Url(bytes)).toBe('-__-AQ');
  });

  it('reads padded and unpadded input alike', () => {
    expect([...decodeUnpaddedBase64('+//+AQ')]).toEqual([0xfb, 0xff, 0xfe, 0x01]);
    expect([...decodeUnpaddedBase64('+//+AQ==')]).toEqual([0xfb, 0xff, 0xfe, 0x01]);
    expect([...decodeBase64Url('-__-AQ')]).toEqual([0xfb, 0xff, 0xfe, 0x01]);
  });

  it('refuses characters outside the alphabet instead of skipping them', () => {
    expect(() => decodeUnpaddedBase64('ab$d')).toThrow(/not valid base64/);
    expect(() => decodeUnpaddedBase64('-__-')).toThrow(/not valid base64/);
    expect(() => decodeBase64Url('+//+')).toThrow(/not valid base64url/);
    expect(() => decodeUnpaddedBase64('abcde')).toThrow(/not valid base64/);
  });
});

describe('key material and JWK', () => {
  it('exports a JWK as the Matrix spec writes it and reads it back', () => {
    const keys = generateV3KeyMaterial();
    const jwk = exportJsonWebKey(keys.key, 'A256GCM');
    expect(jwk).toEqual({
      kty: 'oct',
      alg: 'A256GCM',
      k: encodeBase64Url(keys.key),
      key_ops: ['encrypt', 'decrypt'],
      ext: true,
    });
    expect(jwk.k).not.toMatch(/[=+/]/);
    const info = v3FileInfo(keys, 65536);
    expect(info.iv).toHaveLength(16);
    const restored = keyMaterialOf(info);
    expect(restored.key.equals(keys.key)).toBe(true);
    expect(restored.iv.equals(keys.iv)).toBe(true);
  });

  it('generates v2 IVs whose 64-bit counter half is zero', () => {
    const keys = generateV2KeyMaterial();
    expect(keys.iv.subarray(8).equals(Buffer.alloc(8))).toBe(true);
    expect(keyMaterialOf(v2FileInfo(keys, 'x')).iv.equals(keys.iv)).toBe(true);
  });

  it('refuses keys and IVs of the wrong length', () => {
    const jwk = exportJsonWebKey(Buffer.alloc(16), 'A256GCM');
    let error: unknown;
    try {
      importKeyMaterial(jwk, encodeUnpaddedBase64(Buffer.alloc(12)), 12);
    } catch (caught) {
      error = caught;
    }
    expect(isCodecError(error, 'INVALID_KEY')).toBe(true);
    expect((error as Error).message).toMatch(/16 bytes; AES-256 needs 32/);
    expect(() =>
      importKeyMaterial(exportJsonWebKey(Buffer.alloc(32), 'A256GCM'), encodeUnpaddedBase64(Buffer.alloc(16)), 12),
    ).toThrow(/IV is 16 bytes; it must be 12/);
  });
});
