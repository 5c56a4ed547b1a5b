import pg from 'pg';
import type { ObjectStorageConfig } from '../../config.js';
import type {
  DirectUploadStore,
  MediaAppender,
  MediaChange,
  MediaKey,
  MediaMetadataUpdate,
  MediaReader,
  MediaRecord,
  MediaState,
  MediaStore,
  NewMedia,
} from '../media-store.js';
import { MEDIA_ID, toRecord, type MediaRow } from '../media-row.js';
import { DirectUploads } from './direct-uploads.js';
import { ObjectBucket } from './object-bucket.js';
import { PartAppender } from './part-appender.js';
import { PartCache } from './part-cache.js';
import { PartReader, readParts } from './part-reader.js';
import { changePayload, PostgresChangeFeed } from './postgres-change-feed.js';
import { CHANGE_CHANNEL, migrate, PG_TYPES } from './postgres-schema.js';
import { withRetry } from './retry.js';
import { sweepObjects } from './object-sweep.js';

/*
 * The store for several instances: bytes in an S3-compatible object store, records in PostgreSQL
 * (docs/ARCHITECTURE.md, "Several instances"). An upload is a sequence of parts, each one object
 * written whole and then recorded in `media_parts` in the same statement that raises the upload's
 * offset and NOTIFYs every instance. So the acknowledged offset is also what readers anywhere may read:
 * no reader is ever shown a byte that is not durably stored and recorded. Parts stay as they are when
 * the upload completes (the part table is the manifest); a read of a complete upload is one ranged
 * GET per part it touches.
 */

export interface ObjectStoreOptions {
  readonly maxUploadBytes: number;
  readonly log: { warn(line: string): void; info(line: string): void };
  /** The clock records are stamped with (tests move it). */
  readonly now?: () => number;
}

/** Which of the two services failed to start, in words an admin can act on. */
export class StorageStartError extends Error {
  override name = 'StorageStartError';
}

export class ObjectMediaStore implements MediaStore {
  readonly changes: PostgresChangeFeed;
  readonly directUploads: DirectUploadStore | undefined;
  readonly partCache: PartCache;

  private constructor(
    readonly config: ObjectStorageConfig,
    readonly pool: pg.Pool,
    readonly bucket: ObjectBucket,
    changes: PostgresChangeFeed,
    readonly options: ObjectStoreOptions,
  ) {
    this.changes = changes;
    this.partCache = new PartCache(config.readCacheBytes);
    this.directUploads = config.directUploads.enabled ? new DirectUploads(this) : undefined;
  }

  /**
   * Connects to both services, checks them and migrates the database. Fails with a StorageStartError
   * naming the service that is unreachable or refuses the credentials.
   */
  static async open(config: ObjectStorageConfig, options: ObjectStoreOptions): Promise<ObjectMediaStore> {
    const pool = new pg.Pool({
      connectionString: config.postgres.connectionString,
      max: config.postgres.poolSize,
      types: PG_TYPES,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // An idle client whose server went away emits 'error' on the pool: the next query reconnects.
    pool.on('error', (error) => options.log.warn(`database connection lost: ${error.message}`));
    const bucket = new ObjectBucket(config.s3);
    let changes: PostgresChangeFeed | undefined;
    try {
      try {
        await migrate(pool);
        changes = await PostgresChangeFeed.start(config.postgres.connectionString, options.log.warn);
      } catch (error) {
        throw new StorageStartError(`the database (PostgreSQL at ${describeDatabase(config)}) ${whyDatabase(error)}`, {
          cause: error,
        });
      }
      try {
        await bucket.check();
      } catch (error) {
        throw new StorageStartError((error as Error).message, { cause: error });
      }
    } catch (error) {
      await changes?.close();
      await pool.end().catch(() => undefined);
      bucket.close();
      throw error;
    }
    return new ObjectMediaStore(config, pool, bucket, changes, options);
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Object keys: `<prefix><serverName>/<mediaId>/<name>`; media IDs are checked so a key cannot escape. */
  objectKey(key: MediaKey, name: string): string {
    if (!MEDIA_ID.test(key.mediaId)) throw new Error(`invalid media ID ${JSON.stringify(key.mediaId)}`);
    return `${this.config.s3.keyPrefix}${encodeURIComponent(key.serverName)}/${key.mediaId}/${name}`;
  }

  /** Runs a query, retrying while the database is unreachable (retry.ts). */
  query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return withRetry('the database', this.config.retryForMs, () => this.pool.query<R>(text, values));
  }

  /** Tells this instance's subscribers at once; the NOTIFY sent with the commit tells the others. */
  announce(change: MediaChange): void {
    this.changes.emitLocal(change);
  }

  async createMedia(media: NewMedia): Promise<MediaRecord> {
    const result = await this.query<MediaRow>(
      `INSERT INTO media (server_name, media_id, owner, created_at, expires_at, state, declared_length, content_type, file_name)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) RETURNING *`,
      [
        media.serverName,
        media.mediaId,
        media.owner,
        media.createdAt,
        media.expiresAt,
        media.declaredLength ?? null,
        media.contentType ?? null,
        media.fileName ?? null,
      ],
    );
    return toRecord(result.rows[0]!);
  }

  async getMedia(key: MediaKey): Promise<MediaRecord | undefined> {
    const result = await this.query<MediaRow>('SELECT * FROM media WHERE server_name = $1 AND media_id = $2', [
      key.serverName,
      key.mediaId,
    ]);
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async countPendingUploads(owner: string, now: number): Promise<number> {
    const result = await this.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM media WHERE owner = $1 AND state IN ('pending', 'uploading') AND expires_at > $2",
      [owner, now],
    );
    return result.rows[0]!.n;
  }

  async updateMetadata(key: MediaKey, update: MediaMetadataUpdate): Promise<void> {
    const result = await this.query<MediaRow>(
      `UPDATE media SET
         declared_length = COALESCE($3, declared_length),
         content_type = CASE WHEN $4 THEN $5 ELSE content_type END,
         file_name = CASE WHEN $6 THEN $7 ELSE file_name END
       WHERE server_name = $1 AND media_id = $2
       RETURNING *, pg_notify($8, json_build_object('s', server_name, 'm', media_id, 'o', upload_offset,
                                                    'l', declared_length, 't', state)::text)`,
      [
        key.serverName,
        key.mediaId,
        update.declaredLength ?? null,
        update.contentType !== undefined,
        update.contentType ?? null,
        update.fileName !== undefined,
        update.fileName ?? null,
        CHANGE_CHANNEL,
      ],
    );
    const row = result.rows[0];
    if (!row) throw new Error(`no media ${key.serverName}/${key.mediaId}`);
    if (update.declaredLength !== undefined) this.announce(changeOf(row));
  }

  async openAppender(key: MediaKey): Promise<MediaAppender> {
    return PartAppender.open(this, key);
  }

  readRange(key: MediaKey, start: number, endExclusive: number): AsyncIterable<Uint8Array> {
    return readParts(this, key, start, endExclusive);
  }

  async openReader(key: MediaKey): Promise<MediaReader> {
    return new PartReader(this, key);
  }

  /**
   * Ends the upload and hands its objects to the sweeper in one transaction (so nothing is left
   * unreferenced and unrecorded whatever fails next), then deletes them at once where it can.
   */
  async terminateMedia(key: MediaKey, state: 'cancelled' | 'expired'): Promise<void> {
    const keys = await withRetry('the database', this.config.retryForMs, async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const ended = await client.query<MediaRow & { old_direct_key: string | null }>(
          `UPDATE media m SET state = $3, writer_generation = m.writer_generation + 1, direct_key = NULL
           FROM (SELECT direct_key FROM media WHERE server_name = $1 AND media_id = $2 FOR UPDATE) old
           WHERE m.server_name = $1 AND m.media_id = $2
           RETURNING m.*, old.direct_key AS old_direct_key`,
          [key.serverName, key.mediaId, state],
        );
        const parts = await client.query<{ object_key: string }>(
          'DELETE FROM media_parts WHERE server_name = $1 AND media_id = $2 RETURNING object_key',
          [key.serverName, key.mediaId],
        );
        const objects = parts.rows.map((row) => row.object_key);
        const direct = ended.rows[0]?.old_direct_key;
        if (direct) objects.push(direct);
        if (objects.length > 0) {
          await client.query(
            'INSERT INTO garbage_objects (object_key, since) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING',
            [objects, this.now()],
          );
        }
        const row = ended.rows[0];
        if (row) await client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, changePayload(changeOf(row))]);
        await client.query('COMMIT');
        if (row) this.announce(changeOf(row));
        return objects;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    });
    await this.deleteGarbage(keys).catch((error: unknown) =>
      this.options.log.warn(`objects of ${key.mediaId} left for the sweeper: ${(error as Error).message}`),
    );
  }

  /** Deletes objects recorded as garbage and forgets those that are gone. */
  async deleteGarbage(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const failed = new Set(await this.bucket.deleteMany(keys));
    const deleted = keys.filter((key) => !failed.has(key));
    await this.pool.query('DELETE FROM garbage_objects WHERE object_key = ANY($1::text[])', [deleted]);
  }

  async listExpiredUploads(now: number): Promise<MediaRecord[]> {
    const result = await this.query<MediaRow>(
      "SELECT * FROM media WHERE state IN ('pending', 'uploading') AND expires_at <= $1",
      [now],
    );
    return result.rows.map(toRecord);
  }

  /** Garbage and orphaned objects, and direct uploads whose client never called /complete. */
  async sweepStorage(now: number): Promise<void> {
    await sweepObjects(this, now);
  }

  async close(): Promise<void> {
    await this.changes.close();
    await this.pool.end().catch(() => undefined);
    this.bucket.close();
  }
}

export function changeOf(row: {
  server_name: string;
  media_id: string;
  upload_offset: number;
  declared_length: number | null;
  state: MediaState;
}): MediaChange {
  return {
    serverName: row.server_name,
    mediaId: row.media_id,
    uploadOffset: row.upload_offset,
    declaredLength: row.declared_length,
    state: row.state,
  };
}

function describeDatabase(config: ObjectStorageConfig): string {
  try {
    const url = new URL(config.postgres.connectionString);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'the configured connection string';
  }
}

function whyDatabase(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (e.code === '28P01' || e.code === '28000') return `refused the credentials (${e.message ?? e.code})`;
  if (e.code === '3D000') return `has no such database (${e.message ?? e.code})`;
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH') {
    return `cannot be reached (${e.code})`;
  }
  return `failed: ${e.message ?? String(error)}`;
}
