import pg from 'pg';

/*
 * The object store's records in PostgreSQL, and their migrations. Each migration runs once, in its
 * own transaction, recorded in `slipstream_migrations`; instances starting together take an advisory
 * lock first, so one migrates and the others find it done. Migrations only ever add: an instance of
 * the previous version keeps working against a migrated database while a deployment rolls over.
 */

/** Every change to an upload's record is announced on this channel (object-media-store.ts). */
export const CHANGE_CHANNEL = 'slipstream_media';

/** Arbitrary, fixed: the advisory lock key of the migrations. */
const MIGRATION_LOCK = 0x51_1957_01;

export const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE media (
        server_name       TEXT    NOT NULL,
        media_id          TEXT    NOT NULL,
        owner             TEXT    NOT NULL,
        created_at        BIGINT  NOT NULL,
        expires_at        BIGINT  NOT NULL,
        state             TEXT    NOT NULL CHECK (state IN ('pending', 'uploading', 'complete', 'cancelled', 'expired')),
        declared_length   BIGINT,
        upload_offset     BIGINT  NOT NULL DEFAULT 0,
        content_type      TEXT,
        file_name         TEXT,
        -- Raised by every writer that opens the upload and by its end: a part is recorded only under
        -- the generation its writer opened with, so a writer that was taken over (on any instance)
        -- cannot record anything after the one that replaced it.
        writer_generation BIGINT  NOT NULL DEFAULT 0,
        last_write_at     BIGINT,
        -- MSC3870: the object a presigned URL uploads to, while a direct upload is possible.
        direct_key        TEXT,
        PRIMARY KEY (server_name, media_id)
      );
      CREATE INDEX media_owner_open ON media (owner) WHERE state IN ('pending', 'uploading');
      CREATE INDEX media_open_expires ON media (expires_at) WHERE state IN ('pending', 'uploading');

      -- The upload's bytes, as objects in the store: [start_offset, start_offset + length).
      CREATE TABLE media_parts (
        server_name  TEXT   NOT NULL,
        media_id     TEXT   NOT NULL,
        start_offset BIGINT NOT NULL,
        length       BIGINT NOT NULL CHECK (length > 0),
        object_key   TEXT   NOT NULL UNIQUE,
        PRIMARY KEY (server_name, media_id, start_offset),
        FOREIGN KEY (server_name, media_id) REFERENCES media ON DELETE CASCADE
      );

      -- Objects of ended media, recorded in the same transaction as the end, removed by the sweeper.
      CREATE TABLE garbage_objects (
        object_key TEXT   PRIMARY KEY,
        since      BIGINT NOT NULL
      );
    `,
  },
];

/** BIGINTs as numbers: offsets and times stay below 2^53. */
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as never,
};

/** Applies the migrations this database has not seen; returns the versions applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS slipstream_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM slipstream_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO slipstream_migrations (version) VALUES ($1)', [migration.version]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
        applied.push(migration.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
  return applied;
}
