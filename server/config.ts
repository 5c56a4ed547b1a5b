import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { z } from 'zod';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const millis = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);

/**
 * The object store + PostgreSQL backend (docs/deploy.md, "Several instances"). Credentials may also
 * come from the environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the AWS SDK's own chain) and
 * PGPASSWORD (the pg driver's).
 */
export const ObjectStorageConfigSchema = z.strictObject({
  kind: z.literal('object'),
  s3: z.strictObject({
    /** The S3 API endpoint; omitted for AWS itself (then `region` picks it). */
    endpoint: z.url().optional(),
    /** The endpoint as clients reach it, for MSC3870's presigned upload URLs; defaults to `endpoint`. */
    publicEndpoint: z.url().optional(),
    region: z.string().min(1).default('us-east-1'),
    bucket: z.string().min(3),
    /** Keys start with this (e.g. `media/`), so one bucket can hold other things too. */
    keyPrefix: z.string().default(''),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** `http://endpoint/bucket/key` rather than `http://bucket.endpoint/key`; most S3-compatible servers need it. */
    forcePathStyle: z.boolean().default(false),
  }),
  postgres: z.strictObject({
    /** `postgres://user@host:port/database`; the password may come from PGPASSWORD instead. */
    connectionString: z.string().min(1),
    poolSize: z.number().int().positive().default(10),
  }),
  /** An upload is stored as parts: one is written once this many bytes arrived… */
  partBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * MiB),
  /** …or once its first byte has waited this long, so readers on other instances see slow uploads promptly. */
  partDelayMs: millis.min(10).default(200),
  /** How long a failing object store or database is retried before an upload is answered 503. */
  retryForMs: millis.default(15_000),
  /** Objects nobody references (a part written by an instance that died before recording it) are removed after this. */
  orphanGraceMs: millis.default(60 * 60_000),
  /** Memory for recently written and read parts, shared by this instance's readers (part-cache.ts). */
  readCacheBytes: bytes.default(256 * MiB),
  /** How often readers waiting on an upload re-read its record, in case a notification was lost. */
  pollIntervalMs: millis.min(50).default(1_000),
  /** MSC3870: /create offers a presigned PUT straight into the store. */
  directUploads: z
    .strictObject({
      enabled: z.boolean().default(true),
      urlExpiresInSeconds: z.number().int().min(1).max(604_800).default(900),
    })
    .prefault({}),
});

export const StorageConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('files') }),
  ObjectStorageConfigSchema,
]);

export type ObjectStorageConfig = z.infer<typeof ObjectStorageConfigSchema>;

/** The media server's configuration: a JSON file, with command-line flags layered on top. */
export const MediaServerConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8009),
    })
    .default({ host: '127.0.0.1', port: 8009 }),
  /** The homeserver's name: the server part of the mxc:// URIs this server creates. */
  serverName: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'a Matrix server name such as example.org or localhost:8448'),
  /** Where access tokens are checked (whoami). */
  homeserverUrl: z.url(),
  /** Where media this server does not own is passed through to; defaults to homeserverUrl. */
  homeserverMediaUrl: z.url().optional(),
  dataDir: z.string().min(1),
  /**
   * Whether the homeserver has authenticated media on (Synapse's `enable_authenticated_media`, its
   * default). Then this server's media is served only on the authenticated `/_matrix/client/v1/media/`
   * paths and the legacy unauthenticated ones answer 404 as Synapse does for its own new media
   * (Matrix 1.11 froze unauthenticated media, MSC3916). false serves it on the legacy paths too, for a
   * homeserver that has turned authenticated media off.
   */
  enableAuthenticatedMedia: z.boolean().default(true),
  /**
   * The reverse proxies in front of this server (exact addresses). Only a request arriving from one of
   * them has its client address taken from X-Forwarded-For (the last entry: the one the proxy itself
   * appended); from anywhere else the header is ignored, so a client cannot choose the address its
   * per-address limits are counted under. The default fits a proxy on the same host.
   */
  trustedProxies: z
    .array(z.string().refine((address) => isIP(address) !== 0, 'an IPv4 or IPv6 address'))
    .default(['127.0.0.1', '::1']),
  limits: z
    .strictObject({
      // Slipstream exists for very large files (10 GB and more); an admin sets a lower cap if needed.
      maxUploadBytes: bytes.default(64 * GiB),
      pendingUploadsPerUser: z.number().int().positive().default(10),
      /** Token bucket for /create (and one-shot uploads): sustained rate and burst per user. */
      createPerSecond: z.number().positive().default(1),
      createBurst: z.number().int().positive().default(10),
      unusedExpiryMs: millis.default(24 * 60 * 60 * 1000),
      defaultDownloadTimeoutMs: millis.default(20_000),
      maxDownloadTimeoutMs: millis.default(60_000),
      /** A reader following an upload that sends nothing for this long is aborted. */
      streamIdleTimeoutMs: millis.default(5 * 60_000),
      /**
       * An upload body (PUT, PATCH, POST) that sends nothing for this long is ended with 408; what
       * arrived is kept, so the client resumes from the offset. 0 turns the check off.
       */
      bodyIdleTimeoutMs: millis.default(60_000),
      /** A connection must deliver a request's headers within this time (Node's headersTimeout). */
      headersTimeoutMs: millis.min(1_000).default(20_000),
      /** Open connections from one address that is not a trusted proxy (slow-header connections included). */
      connectionsPerAddress: z.number().int().positive().default(64),
      /** Request bodies arriving at once from one client address (slow bodies included). */
      bodiesPerAddress: z.number().int().positive().default(32),
    })
    .prefault({}),
  durability: z
    .strictObject({
      /** Unacknowledged bytes a streamed upload may accumulate before they are fsynced and recorded. */
      acknowledgeEveryBytes: z
        .number()
        .int()
        .positive()
        .default(8 * MiB),
    })
    .prefault({}),
  /**
   * Where media is kept: `files` (the default: a directory and SQLite, one instance) or `object`
   * (an S3-compatible object store for the bytes, PostgreSQL for the records, any number of instances).
   */
  storage: StorageConfigSchema.default({ kind: 'files' }),
  sweepIntervalMs: millis.default(60_000),
  auth: z
    .strictObject({
      cacheTtlMs: millis.default(30_000),
      cacheSize: z.number().int().positive().default(10_000),
      /** Tokens the homeserver rejected, remembered apart so they cannot push valid ones out of the cache. */
      rejectedCacheSize: z.number().int().positive().default(1_000),
      /**
       * Failed authentications per client address: a token bucket of `failureBurst`, refilled at
       * `failuresPerSecond`. Past it, tokens not already known to be valid get 429 M_LIMIT_EXCEEDED
       * without the homeserver being asked.
       */
      failuresPerSecond: z.number().positive().default(1),
      failureBurst: z.number().int().positive().default(10),
    })
    .prefault({}),
});

export type MediaServerConfig = z.infer<typeof MediaServerConfigSchema>;
export type MediaServerConfigInput = z.input<typeof MediaServerConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(input: unknown, source = 'the configuration'): MediaServerConfig {
  const result = MediaServerConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`${source} is not valid: ${problems.join('; ')}`);
  }
  return result.data;
}

export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`config file ${path} is not a JSON object: ${(error as Error).message}`);
  }
}
