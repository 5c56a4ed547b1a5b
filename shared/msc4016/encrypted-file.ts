import { z } from 'zod';
import { MAX_PLAINTEXT_BLOCK_SIZE } from './frame.js';

/**
 * The `file` block of an encrypted attachment event, as the Matrix spec (v2) and MSC4016 (v3)
 * define it. Unknown fields are kept, so a block passed through Slipstream loses nothing.
 */

export const V3_VERSION = 'org.matrix.msc4016.v3';
export const V2_VERSION = 'v2';

/**
 * Slipstream's addition to the v3 `file` block: the constant plaintext block size, so a receiver can
 * seek by arithmetic instead of scanning. Receivers must cope with blocks that lack it (the upstream
 * reference never writes it). It lives in the E2EE event, so it is as trustworthy as the key beside it.
 */
export const BLOCK_SIZE_FIELD = 'org.slipstream.block_size';

const unpaddedBase64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const base64Url = z.string().regex(/^[A-Za-z0-9_-]*={0,2}$/, 'must be base64url');

export const jsonWebKeySchema = z.looseObject({
  kty: z.literal('oct'),
  alg: z.enum(['A256GCM', 'A256CTR']),
  k: base64Url,
  key_ops: z.array(z.string()).refine((ops) => ops.includes('encrypt') && ops.includes('decrypt'), {
    message: 'key_ops must contain "encrypt" and "decrypt"',
  }),
  ext: z.literal(true),
});
export type JsonWebKey = z.infer<typeof jsonWebKeySchema>;

export const v3EncryptedFileSchema = z.looseObject({
  v: z.literal(V3_VERSION),
  key: jsonWebKeySchema.refine((key) => key.alg === 'A256GCM', { message: 'a v3 key must be A256GCM' }),
  iv: unpaddedBase64,
  url: z.string().startsWith('mxc://').optional(),
  // The reference writes `{}`; MSC4016 says v3 needs no hashes. Accept both.
  hashes: z.record(z.string(), z.unknown()).optional(),
  [BLOCK_SIZE_FIELD]: z.number().int().positive().max(MAX_PLAINTEXT_BLOCK_SIZE).optional(),
});
export type V3EncryptedFile = z.infer<typeof v3EncryptedFileSchema>;

export const v2EncryptedFileSchema = z.looseObject({
  v: z.literal(V2_VERSION),
  key: jsonWebKeySchema.refine((key) => key.alg === 'A256CTR', { message: 'a v2 key must be A256CTR' }),
  iv: unpaddedBase64,
  url: z.string().startsWith('mxc://').optional(),
  hashes: z.looseObject({ sha256: unpaddedBase64 }),
});
export type V2EncryptedFile = z.infer<typeof v2EncryptedFileSchema>;

export const encryptedFileSchema = z.discriminatedUnion('v', [v3EncryptedFileSchema, v2EncryptedFileSchema]);
export type EncryptedFile = z.infer<typeof encryptedFileSchema>;

/** Parses a `file` block, turning schema failures into one sentence a person can act on. */
export function parseEncryptedFile(value: unknown): EncryptedFile {
  const version = typeof value === 'object' && value !== null ? (value as { v?: unknown }).v : undefined;
  if (version !== V3_VERSION && version !== V2_VERSION) {
    const shown = version === undefined ? 'none' : JSON.stringify(version);
    throw new TypeError(`unsupported encrypted file version ${shown}: expected "${V3_VERSION}" or "${V2_VERSION}"`);
  }
  const result = encryptedFileSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
  throw new TypeError(`invalid encrypted file info${where}: ${issue?.message ?? 'unknown problem'}`);
}
