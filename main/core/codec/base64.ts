/**
 * Base64 as the Matrix spec uses it: "unpadded base64" (standard alphabet, `=` stripped) for IVs and
 * hashes, and base64url without padding inside JWKs. Decoders accept padded input too, because some
 * clients send it, but reject anything that is not base64 at all instead of skipping bad characters
 * the way Buffer.from does.
 */

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

export function encodeUnpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

export function decodeUnpaddedBase64(text: string, what = 'value'): Buffer {
  if (!STANDARD.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError(`${what} is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function decodeBase64Url(text: string, what = 'value'): Buffer {
  if (!URL_SAFE.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError(`${what} is not valid base64url`);
  }
  return Buffer.from(text, 'base64url');
}
