import { MatrixError, notFound } from '../../http/matrix-error.js';
import type { AcknowledgeOptions, MediaAppender, MediaKey } from '../media-store.js';
import { changeOf, type ObjectMediaStore } from './object-media-store.js';
import { CHANGE_CHANNEL } from './postgres-schema.js';
import { FencedError, withRetry } from './retry.js';

/**
 * Parts PUT at once. One 8 MiB PUT to SeaweedFS took about 200 ms here (40 MB/s), a round trip that
 * a single part in flight would impose on every upload; several overlap it (docs/benchmarks.md).
 */
const PARTS_IN_FLIGHT = 2;

interface Part {
  readonly start: number;
  readonly chunks: Uint8Array[];
  readonly length: number;
}

/** The record a part commits with; `complete` ends the upload at the part's end. */
const COMMIT_PART = `
  WITH moved AS (
    UPDATE media SET upload_offset = $4,
      state = CASE WHEN $6 THEN 'complete' ELSE 'uploading' END,
      declared_length = CASE WHEN $6 THEN $4 ELSE declared_length END,
      last_write_at = $7
    WHERE server_name = $1 AND media_id = $2 AND writer_generation = $8 AND upload_offset = $3
      AND state IN ('pending', 'uploading')
    RETURNING server_name, media_id, upload_offset, declared_length, state),
  part AS (
    INSERT INTO media_parts (server_name, media_id, start_offset, length, object_key)
    SELECT server_name, media_id, $3, $4 - $3, $5 FROM moved WHERE $4 > $3)
  SELECT moved.*, pg_notify($9, json_build_object('s', server_name, 'm', media_id, 'o', upload_offset,
                                                  'l', declared_length, 't', state)::text)
  FROM moved`;

/**
 * Appends to an upload in the object store as a sequence of parts. Bytes are gathered until
 * `partBytes` arrived or the oldest has waited `partDelayMs`; then the part is PUT as one object and
 * recorded (COMMIT_PART) — and only then counted in `writtenOffset`, which is therefore durable: the
 * interim acknowledgements the pipeline asks for cost nothing, and a reader on any instance is shown
 * only stored, recorded bytes. Up to PARTS_IN_FLIGHT parts are PUT at once while the next gathers, so
 * the network keeps delivering during a PUT; parts are recorded strictly in order.
 *
 * Opening raises the upload's writer generation: a writer opened earlier, on this instance or another
 * (a request whose client went away unnoticed, an instance that froze), can no longer record anything,
 * and the offset read at opening is final for it. Its unrecorded part becomes an orphaned object, which
 * the sweeper removes.
 */
export class PartAppender implements MediaAppender {
  private gathered: Uint8Array[] = [];
  private gatheredBytes = 0;
  private gatheredStart: number;
  private durable: number;
  private timer: NodeJS.Timeout | undefined;
  private tail: Promise<void> = Promise.resolve();
  /** Each part cut and not yet recorded (or failed), oldest first. */
  private readonly partsInFlight: Promise<void>[] = [];
  private failure: { error: unknown } | undefined;

  private constructor(
    private readonly store: ObjectMediaStore,
    private readonly key: MediaKey,
    private readonly generation: number,
    offset: number,
  ) {
    this.durable = offset;
    this.gatheredStart = offset;
  }

  static async open(store: ObjectMediaStore, key: MediaKey): Promise<PartAppender> {
    const result = await store.query<{ upload_offset: number; writer_generation: number; direct_key: string | null }>(
      `UPDATE media m SET writer_generation = m.writer_generation + 1, direct_key = NULL
       FROM (SELECT direct_key FROM media WHERE server_name = $1 AND media_id = $2 FOR UPDATE) old
       WHERE m.server_name = $1 AND m.media_id = $2 AND m.state IN ('pending', 'uploading')
       RETURNING m.upload_offset, m.writer_generation, old.direct_key`,
      [key.serverName, key.mediaId],
    );
    const row = result.rows[0];
    if (!row) throw notFound('The upload ended');
    // Bytes now come this way: whatever a presigned URL (MSC3870) may still put there is garbage.
    if (row.direct_key) {
      await store.query('INSERT INTO garbage_objects (object_key, since) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        row.direct_key,
        store.now(),
      ]);
    }
    return new PartAppender(store, key, row.writer_generation, row.upload_offset);
  }

  get writtenOffset(): number {
    return this.durable;
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    this.throwIfFailed();
    const partBytes = this.store.config.partBytes;
    for (const chunk of chunks) {
      let rest = chunk;
      while (rest.byteLength > 0) {
        const take = Math.min(rest.byteLength, partBytes - this.gatheredBytes);
        this.gathered.push(rest.subarray(0, take));
        this.gatheredBytes += take;
        rest = rest.subarray(take);
        if (this.gatheredBytes >= partBytes) this.cutPart();
      }
    }
    if (this.gatheredBytes > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.cutPart();
      }, this.store.config.partDelayMs);
    }
    // A few parts stored at once while the next gathers; past that the caller waits (and TCP slows
    // the sender), so an upload holds at most (PARTS_IN_FLIGHT + 1) × partBytes here.
    while (this.partsInFlight.length >= PARTS_IN_FLIGHT) await this.partsInFlight[0];
    this.throwIfFailed();
  }

  /** Interim: the parts already cut, once recorded. Final: the gathered bytes become a part first. */
  async acknowledge(options?: AcknowledgeOptions): Promise<number> {
    if (!options?.interim) this.cutPart();
    await this.tail;
    this.throwIfFailed();
    return this.durable;
  }

  async complete(): Promise<void> {
    this.cutPart(true);
    await this.tail;
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gathered = [];
    this.gatheredBytes = 0;
    await this.tail;
  }

  /** Queues the gathered bytes as the next part (and, with `complete`, the end of the upload). */
  private cutPart(complete = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gatheredBytes === 0 && !complete) return;
    const part: Part = { start: this.gatheredStart, chunks: this.gathered, length: this.gatheredBytes };
    this.gathered = [];
    this.gatheredStart += this.gatheredBytes;
    this.gatheredBytes = 0;
    const objectKey = this.store.objectKey(this.key, `${String(part.start).padStart(16, '0')}.${this.generation}`);
    // The PUT starts now, beside those of the parts before it; the records are made in order.
    const stored = part.length > 0 ? this.putPart(objectKey, part) : Promise.resolve(undefined);
    stored.catch(() => undefined);
    const done = this.tail.then(async () => {
      try {
        const body = await stored;
        if (this.failure) {
          // An earlier part failed: this one can never be recorded, since offsets are contiguous.
          if (part.length > 0) await this.store.deleteGarbage([objectKey]).catch(() => undefined);
          return;
        }
        await this.recordPart(part, objectKey, complete);
        // Readers on this instance read it from memory: no GET for an upload arriving here.
        if (body) this.store.partCache.put(objectKey, body);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.partsInFlight.shift();
      }
    });
    this.partsInFlight.push(done);
    this.tail = done;
  }

  private async putPart(objectKey: string, part: Part): Promise<Buffer> {
    const body = Buffer.concat(part.chunks, part.length);
    await withRetry('the object store', this.store.config.retryForMs, () => this.store.bucket.put(objectKey, body));
    return body;
  }

  private async recordPart(part: Part, objectKey: string, complete: boolean): Promise<void> {
    const { store, key } = this;
    const end = part.start + part.length;
    const result = await withRetry('the database', store.config.retryForMs, async () => {
      const committed = await store.pool.query(COMMIT_PART, [
        key.serverName,
        key.mediaId,
        part.start,
        end,
        objectKey,
        complete,
        store.now(),
        this.generation,
        CHANGE_CHANNEL,
      ]);
      if (committed.rowCount === 0) throw new FencedError('the upload was taken over or ended');
      return committed;
    }).catch(async (error: unknown) => {
      if (part.length > 0) {
        // Not recorded: the object is the sweeper's (orphan), or deleted now if the store lets us.
        await store.deleteGarbage([objectKey]).catch(() => undefined);
      }
      throw await this.explain(error);
    });
    this.durable = end;
    store.announce(changeOf(result.rows[0] as Parameters<typeof changeOf>[0]));
  }

  /** A fenced commit as the answer the client should get: its upload ended, or another request has it. */
  private async explain(error: unknown): Promise<unknown> {
    if (!(error instanceof FencedError)) return error;
    const record = await this.store.getMedia(this.key).catch(() => undefined);
    if (!record || (record.state !== 'pending' && record.state !== 'uploading')) {
      return notFound('The upload was cancelled or expired while it was being written');
    }
    return new MatrixError(
      409,
      'ORG.MATRIX.MSC4016_UPLOAD_IN_PROGRESS',
      'A newer request (possibly on another instance) took this upload over',
    );
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
