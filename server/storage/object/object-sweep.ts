import type { ObjectMediaStore } from './object-media-store.js';

/** Arbitrary, fixed: the advisory lock that lets one instance at a time sweep the bucket. */
const SWEEP_LOCK = 0x51_1957_02;

/**
 * The object store's housekeeping, run by every instance's sweeper and done by one at a time:
 *
 * 1. Objects of ended media (recorded in `garbage_objects` in the same transaction as the end) are
 *    deleted; those the store would not delete stay recorded for the next sweep.
 * 2. Orphans: objects that no record references and that are older than `orphanGraceMs` — a part
 *    stored by a writer that died or was taken over before recording it, or a late PUT to a presigned
 *    URL of media that ended. The grace keeps a part being written right now (stored, not yet
 *    recorded) from being taken for one.
 * 3. MSC3870 uploads whose client never called `/complete` are completed once their object exists.
 */
export async function sweepObjects(store: ObjectMediaStore, now: number): Promise<void> {
  const client = await store.pool.connect();
  try {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SWEEP_LOCK]);
    if (!locked.rows[0]?.ok) return;
    try {
      await deleteGarbage(store);
      await deleteOrphans(store, now);
      await completeDirectUploads(store);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function deleteGarbage(store: ObjectMediaStore): Promise<void> {
  for (;;) {
    const batch = await store.pool.query<{ object_key: string }>(
      'SELECT object_key FROM garbage_objects ORDER BY since LIMIT 1000',
    );
    if (batch.rows.length === 0) return;
    const before = batch.rows.length;
    await store.deleteGarbage(batch.rows.map((row) => row.object_key));
    const left = await store.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM garbage_objects WHERE object_key = ANY($1::text[])',
      [batch.rows.map((row) => row.object_key)],
    );
    // The store refused every one of them: try again at the next sweep rather than loop.
    if (left.rows[0]!.n === before) return;
  }
}

async function deleteOrphans(store: ObjectMediaStore, now: number): Promise<void> {
  const cutoff = now - store.config.orphanGraceMs;
  let candidates: string[] = [];
  const check = async (): Promise<void> => {
    if (candidates.length === 0) return;
    const referenced = await store.pool.query<{ key: string }>(
      `SELECT object_key AS key FROM media_parts WHERE object_key = ANY($1::text[])
       UNION SELECT direct_key AS key FROM media WHERE direct_key = ANY($1::text[])`,
      [candidates],
    );
    const kept = new Set(referenced.rows.map((row) => row.key));
    const orphans = candidates.filter((key) => !kept.has(key));
    candidates = [];
    if (orphans.length === 0) return;
    await store.bucket.deleteMany(orphans);
    store.options.log.info(`sweeper removed ${orphans.length} unreferenced object(s)`);
  };
  for await (const object of store.bucket.list(store.config.s3.keyPrefix)) {
    if (object.lastModified > cutoff) continue;
    candidates.push(object.key);
    if (candidates.length >= 1000) await check();
  }
  await check();
}

async function completeDirectUploads(store: ObjectMediaStore): Promise<void> {
  const waiting = await store.pool.query<{ server_name: string; media_id: string }>(
    "SELECT server_name, media_id FROM media WHERE state = 'pending' AND direct_key IS NOT NULL LIMIT 1000",
  );
  for (const row of waiting.rows) {
    const outcome = await store.directUploads?.completeDirectUpload(
      { serverName: row.server_name, mediaId: row.media_id },
      store.options.maxUploadBytes,
    );
    if (outcome?.kind === 'complete') {
      store.options.log.info(`direct upload of ${row.media_id} found complete (${outcome.length} bytes)`);
    }
  }
}
