import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AcknowledgeOptions,
  MediaAppender,
  MediaReader,
  MediaKey,
  MediaMetadataUpdate,
  MediaRecord,
  MediaStore,
  NewMedia,
} from './media-store.js';
import { MEDIA_ID, toRecord, type MediaRow } from './media-row.js';

/*
 * The embedded store: each upload is one file under <dataDir>/uploads/, metadata in <dataDir>/media.db.
 *
 * SQLite through better-sqlite3: Node 20 has no built-in SQLite (node:sqlite arrived in 22.5), and
 * better-sqlite3 is the maintained, widely deployed binding. Its synchronous API suits this workload:
 * every statement is a sub-millisecond indexed lookup or single-row update, so a worker-thread
 * round trip (as the async `sqlite3` package does) would cost more than the query. WAL mode lets the
 * statements run without blocking readers, and synchronous=FULL makes a committed offset survive a
 * power cut, which the durability contract relies on (interim checkpoints excepted: `openAppender`).
 * It builds from source where no prebuilt binary can be downloaded (node-gyp, about two minutes on
 * two cores).
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS media (
  server_name     TEXT    NOT NULL,
  media_id        TEXT    NOT NULL,
  owner           TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  state           TEXT    NOT NULL,
  declared_length INTEGER,
  upload_offset   INTEGER NOT NULL DEFAULT 0,
  content_type    TEXT,
  file_name       TEXT,
  PRIMARY KEY (server_name, media_id)
);
CREATE INDEX IF NOT EXISTS media_owner_state ON media (owner, state);
CREATE INDEX IF NOT EXISTS media_state_expires ON media (state, expires_at);
`;

export interface ReconcileReport {
  /** Uploads whose file held bytes past the acknowledged offset; those bytes were cut off. */
  truncated: MediaKey[];
  /** Uploads whose file was shorter than the recorded offset (storage lost data); the offset was lowered. */
  shortened: MediaKey[];
}

export class FileMediaStore implements MediaStore {
  private constructor(
    private readonly dataDir: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating if needed) the store and reconciles every open upload's file with its recorded offset. */
  static async open(dataDir: string): Promise<{ store: FileMediaStore; reconciled: ReconcileReport }> {
    await mkdir(join(dataDir, 'uploads'), { recursive: true });
    const db = new Database(join(dataDir, 'media.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    const store = new FileMediaStore(dataDir, db);
    return { store, reconciled: await store.reconcile() };
  }

  private dataPath(key: MediaKey): string {
    if (!MEDIA_ID.test(key.mediaId)) throw new Error(`invalid media ID ${JSON.stringify(key.mediaId)}`);
    return join(this.dataDir, 'uploads', encodeURIComponent(key.serverName), key.mediaId);
  }

  private recordOffset: Database.Statement | undefined;

  /** Prepared once: an upload records its offset every few megabytes. */
  private recordOffsetStatement(): Database.Statement {
    this.recordOffset ??= this.db.prepare(
      `UPDATE media SET upload_offset = ?,
         state = CASE WHEN ? THEN 'complete' WHEN ? > 0 THEN 'uploading' ELSE state END,
         declared_length = CASE WHEN ? THEN ? ELSE declared_length END
       WHERE server_name = ? AND media_id = ? AND state IN ('pending', 'uploading')`,
    );
    return this.recordOffset;
  }

  private row(key: MediaKey): MediaRow | undefined {
    return this.db
      .prepare('SELECT * FROM media WHERE server_name = ? AND media_id = ?')
      .get(key.serverName, key.mediaId) as MediaRow | undefined;
  }

  /*
   * After a crash the file may hold bytes that were written but never acknowledged: cut them off, so
   * the file is exactly the acknowledged prefix and a resumed upload appends where the client was told.
   */
  private async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { truncated: [], shortened: [] };
    const rows = this.db.prepare("SELECT * FROM media WHERE state IN ('pending', 'uploading')").all() as MediaRow[];
    for (const row of rows) {
      const key = { serverName: row.server_name, mediaId: row.media_id };
      const size = await stat(this.dataPath(key)).then(
        (s) => s.size,
        () => 0,
      );
      if (size > row.upload_offset) {
        const handle = await open(this.dataPath(key), 'r+');
        try {
          await handle.truncate(row.upload_offset);
          await handle.sync();
        } finally {
          await handle.close();
        }
        report.truncated.push(key);
      } else if (size < row.upload_offset) {
        this.db
          .prepare('UPDATE media SET upload_offset = ? WHERE server_name = ? AND media_id = ?')
          .run(size, key.serverName, key.mediaId);
        report.shortened.push(key);
      }
    }
    return report;
  }

  async createMedia(media: NewMedia): Promise<MediaRecord> {
    this.db
      .prepare(
        `INSERT INTO media (server_name, media_id, owner, created_at, expires_at, state, declared_length,
                            upload_offset, content_type, file_name)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?)`,
      )
      .run(
        media.serverName,
        media.mediaId,
        media.owner,
        media.createdAt,
        media.expiresAt,
        media.declaredLength ?? null,
        media.contentType ?? null,
        media.fileName ?? null,
      );
    return toRecord(this.row(media)!);
  }

  async getMedia(key: MediaKey): Promise<MediaRecord | undefined> {
    const row = this.row(key);
    return row && toRecord(row);
  }

  async countPendingUploads(owner: string, now: number): Promise<number> {
    const result = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM media WHERE owner = ? AND state IN ('pending', 'uploading') AND expires_at > ?",
      )
      .get(owner, now) as { n: number };
    return result.n;
  }

  async updateMetadata(key: MediaKey, update: MediaMetadataUpdate): Promise<void> {
    const current = this.row(key);
    if (!current) throw new Error(`no media ${key.serverName}/${key.mediaId}`);
    this.db
      .prepare(
        'UPDATE media SET declared_length = ?, content_type = ?, file_name = ? WHERE server_name = ? AND media_id = ?',
      )
      .run(
        update.declaredLength ?? current.declared_length,
        update.contentType === undefined ? current.content_type : update.contentType,
        update.fileName === undefined ? current.file_name : update.fileName,
        key.serverName,
        key.mediaId,
      );
  }

  async openAppender(key: MediaKey): Promise<MediaAppender> {
    const row = this.row(key);
    if (!row) throw new Error(`no media ${key.serverName}/${key.mediaId}`);
    const path = this.dataPath(key);
    await mkdir(join(path, '..'), { recursive: true });
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      // Anything past the acknowledged offset was never promised to anyone: start from the promise.
      await handle.truncate(row.upload_offset);
      await syncDirectory(join(path, '..'));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileAppender(handle, row.upload_offset, (offset, complete, interim) => {
      const update = () =>
        this.recordOffsetStatement().run(
          offset,
          complete ? 1 : 0,
          offset,
          complete ? 1 : 0,
          offset,
          key.serverName,
          key.mediaId,
        );
      if (!interim) return void update();
      // An interim checkpoint commits without syncing SQLite's log (synchronous=NORMAL): it survives a
      // crash of this process, and the next full commit (every body's end) syncs it with itself. After
      // a power cut it may be lost, leaving the previous offset: never one past durable bytes, since the
      // data was fdatasynced first. A synced commit costs 1-5 ms of the event loop while the disk is
      // busy with the upload's own writeback, once per interval.
      this.db.pragma('synchronous = NORMAL');
      try {
        update();
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    });
  }

  async *readRange(key: MediaKey, start: number, endExclusive: number): AsyncIterable<Uint8Array> {
    if (endExclusive <= start) return;
    const stream = createReadStream(this.dataPath(key), { start, end: endExclusive - 1, highWaterMark: 64 * 1024 });
    for await (const chunk of stream) yield chunk as Buffer;
  }

  async openReader(key: MediaKey): Promise<MediaReader> {
    const handle = await open(this.dataPath(key), 'r');
    return {
      read: async (target, position, length) => (await handle.read(target, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async terminateMedia(key: MediaKey, state: 'cancelled' | 'expired'): Promise<void> {
    this.db
      .prepare('UPDATE media SET state = ? WHERE server_name = ? AND media_id = ?')
      .run(state, key.serverName, key.mediaId);
    await rm(this.dataPath(key), { force: true });
  }

  async listExpiredUploads(now: number): Promise<MediaRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM media WHERE state IN ('pending', 'uploading') AND expires_at <= ?")
      .all(now) as MediaRow[];
    return rows.map(toRecord);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Exported for its tests; the store hands it out through `openAppender`. */
export class FileAppender implements MediaAppender {
  private acknowledged: number;
  private written: number;
  private lastRecordInterim = false;

  constructor(
    private readonly handle: FileHandle,
    offset: number,
    private readonly record: (offset: number, complete: boolean, interim: boolean) => void,
  ) {
    this.acknowledged = offset;
    this.written = offset;
  }

  get writtenOffset(): number {
    return this.written;
  }

  async append(chunks: readonly Uint8Array[]): Promise<void> {
    let pending = chunks.filter((chunk) => chunk.byteLength > 0);
    while (pending.length > 0) {
      // One writev per batch: the receiver hands over everything that arrived during the previous write.
      let { bytesWritten } = await this.handle.writev(pending as Uint8Array[], this.written);
      this.written += bytesWritten;
      // A short write (or more buffers than one writev takes): continue after what was written.
      while (pending.length > 0 && bytesWritten >= pending[0]!.byteLength) bytesWritten -= pending.shift()!.byteLength;
      if (bytesWritten > 0) pending = [pending[0]!.subarray(bytesWritten), ...pending.slice(1)];
    }
  }

  async acknowledge(options?: AcknowledgeOptions): Promise<number> {
    const interim = options?.interim ?? false;
    // Only what was written before the sync started is covered by it; a concurrent append is not.
    const target = this.written;
    if (target > this.acknowledged) {
      // fdatasync before the offset is recorded: a recorded offset never points past durable bytes.
      // (fdatasync also flushes the file size, which reading the data back needs.)
      await this.handle.datasync();
      if (target > this.acknowledged) {
        this.record(target, false, interim);
        this.acknowledged = target;
        this.lastRecordInterim = interim;
        return this.acknowledged;
      }
    }
    if (!interim && this.lastRecordInterim) {
      // The offset about to be reported was recorded as an interim checkpoint: commit it durably first.
      this.record(this.acknowledged, false, false);
      this.lastRecordInterim = false;
    }
    return this.acknowledged;
  }

  async complete(): Promise<void> {
    const target = this.written;
    await this.handle.datasync();
    this.record(target, true, false);
    this.acknowledged = target;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
