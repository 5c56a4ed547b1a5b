import type { DirectUploadOutcome, DirectUploadStore, MediaKey } from '../media-store.js';
import { changeOf, type ObjectMediaStore } from './object-media-store.js';
import { CHANGE_CHANNEL } from './postgres-schema.js';
import { withRetry } from './retry.js';

/**
 * MSC3870 on the object store. `/create` records the object a presigned PUT will write
 * (`media.direct_key`) and hands out the URL; the upload is complete once that object exists, since an
 * S3 PUT is atomic: there is never a partial object to stream. Completing records the object as the
 * media's one part, in the same statement that makes the media complete (and NOTIFYs), so from then on
 * it is read like any other upload. A streamed upload (PUT, tus) that starts first takes the media
 * over and sends the direct object to the sweeper (PartAppender.open).
 */
export class DirectUploads implements DirectUploadStore {
  constructor(private readonly store: ObjectMediaStore) {}

  async presignUpload(
    key: MediaKey,
    options: { readonly size?: number; readonly expiresInSeconds: number },
  ): Promise<{ url: string; headers: Record<string, string>; expiresAt: number }> {
    const objectKey = this.store.objectKey(key, 'direct');
    const updated = await this.store.query(
      "UPDATE media SET direct_key = $3 WHERE server_name = $1 AND media_id = $2 AND state = 'pending' AND upload_offset = 0",
      [key.serverName, key.mediaId, objectKey],
    );
    if (updated.rowCount === 0) throw new Error(`media ${key.mediaId} is not waiting for its first byte`);
    const { url, headers } = await this.store.bucket.presignPut(objectKey, options.expiresInSeconds, options.size);
    return { url, headers, expiresAt: this.store.now() + options.expiresInSeconds * 1000 };
  }

  async completeDirectUpload(key: MediaKey, maxBytes: number): Promise<DirectUploadOutcome> {
    const { store } = this;
    const current = await store.query<{ state: string; direct_key: string | null; upload_offset: number }>(
      'SELECT state, direct_key, upload_offset FROM media WHERE server_name = $1 AND media_id = $2',
      [key.serverName, key.mediaId],
    );
    const row = current.rows[0];
    if (!row) return { kind: 'not-direct' };
    if (row.state === 'complete') return { kind: 'complete', length: row.upload_offset };
    if (row.state !== 'pending' || !row.direct_key) return { kind: 'not-direct' };
    const objectKey = row.direct_key;
    const size = await withRetry('the object store', store.config.retryForMs, () => store.bucket.sizeOf(objectKey));
    if (size === undefined) return { kind: 'absent' };
    if (size > maxBytes) {
      await store.terminateMedia(key, 'cancelled');
      return { kind: 'too-large', length: size };
    }
    const completed = await store.query<Parameters<typeof changeOf>[0]>(
      `WITH done AS (
         UPDATE media SET state = 'complete', upload_offset = $4, declared_length = $4, direct_key = NULL,
           writer_generation = writer_generation + 1, last_write_at = $5
         WHERE server_name = $1 AND media_id = $2 AND state = 'pending' AND direct_key = $3
         RETURNING server_name, media_id, upload_offset, declared_length, state),
       part AS (
         INSERT INTO media_parts (server_name, media_id, start_offset, length, object_key)
         SELECT server_name, media_id, 0, $4, $3 FROM done WHERE $4 > 0)
       SELECT done.*, pg_notify($6, json_build_object('s', server_name, 'm', media_id, 'o', upload_offset,
                                                      'l', declared_length, 't', state)::text)
       FROM done`,
      [key.serverName, key.mediaId, objectKey, size, store.now(), CHANGE_CHANNEL],
    );
    const done = completed.rows[0];
    // Someone else finished it first (another instance, or a streamed upload): say what it is now.
    if (!done) return this.completeDirectUpload(key, maxBytes);
    store.announce(changeOf(done));
    return { kind: 'complete', length: size };
  }
}
