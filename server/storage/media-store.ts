/**
 * The media server's storage, behind one interface (as tus-node-server's DataStore): the embedded
 * file + SQLite store implements it today; an S3 (data) + PostgreSQL (metadata) store must be able to
 * implement it later, so nothing here assumes a local path or a single process.
 *
 * Durability contract: `uploadOffset` is the acknowledged offset. Bytes below it were made durable
 * (fsynced, or for object storage: a completed part) before the offset was recorded, and an upload
 * resumes from it. Bytes an appender has accepted above it may be served to live readers but can be
 * lost in a crash; a store drops them when it reopens (`reconcile`).
 */

export type MediaState = 'pending' | 'uploading' | 'complete' | 'cancelled' | 'expired';

/** States in which bytes may still arrive. */
export const OPEN_STATES: readonly MediaState[] = ['pending', 'uploading'];

export interface MediaKey {
  serverName: string;
  mediaId: string;
}

export interface MediaRecord extends MediaKey {
  /** Matrix user ID of the creator: the only user who may upload to it. */
  owner: string;
  createdAt: number;
  /** `unused_expires_at`: if the upload is not complete by then the media expires and its data is removed. */
  expiresAt: number;
  state: MediaState;
  /** The final size once the uploader declared it (Content-Length of a PUT, tus Upload-Length); null until then. */
  declaredLength: number | null;
  /** Acknowledged bytes (see the durability contract above). */
  uploadOffset: number;
  contentType: string | null;
  fileName: string | null;
  /**
   * When a part of it was last recorded, by any instance: set by stores that several instances share,
   * where "is someone writing this upload?" cannot be answered from this process alone.
   */
  lastWriteAt?: number | null;
}

export interface NewMedia extends MediaKey {
  owner: string;
  createdAt: number;
  expiresAt: number;
  declaredLength?: number | null;
  contentType?: string | null;
  fileName?: string | null;
}

export interface MediaMetadataUpdate {
  declaredLength?: number;
  contentType?: string | null;
  fileName?: string | null;
}

export interface AcknowledgeOptions {
  /**
   * A checkpoint while the body is still arriving, which no client has been told about: the store may
   * record it so that it survives a crash of the server process but not necessarily a power cut (which
   * then leaves an earlier offset, never one past durable bytes).
   */
  readonly interim?: boolean;
}

/**
 * Appends to one upload, starting at its acknowledged offset. One appender per media at a time.
 *
 * `acknowledge` may run while a later `append` is in flight (the receiver overlaps the two so the disk
 * syncs while the network keeps delivering): it covers exactly the bytes whose `append` had completed
 * when it was called, and never records an offset past them.
 */
export interface MediaAppender {
  /** Bytes accepted so far (acknowledged or not): what live readers may read up to. */
  readonly writtenOffset: number;
  /** Writes the chunks, in order, at `writtenOffset`. At most one append runs at a time. */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** Makes everything appended so far durable and records it as the upload offset; returns that offset. */
  acknowledge(options?: AcknowledgeOptions): Promise<number>;
  /** Acknowledges and marks the media complete at its current length. */
  complete(): Promise<void>;
  /** Releases resources without acknowledging anything further. */
  close(): Promise<void>;
}

/**
 * Reads one upload's stored bytes, for one reader of it: opened once and kept for the whole response,
 * so following a growing upload costs one read per batch of new bytes, not a new open per wake-up.
 */
export interface MediaReader {
  /** Up to `length` bytes from `position` into `target` (fewer at the end of what is stored); the byte count. */
  read(target: Uint8Array, position: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export interface MediaStore {
  createMedia(media: NewMedia): Promise<MediaRecord>;
  getMedia(key: MediaKey): Promise<MediaRecord | undefined>;
  /** Created, not expired, not yet complete: what MSC2246's per-user pending-upload limit counts. */
  countPendingUploads(owner: string, now: number): Promise<number>;
  updateMetadata(key: MediaKey, update: MediaMetadataUpdate): Promise<void>;
  openAppender(key: MediaKey): Promise<MediaAppender>;
  /** Reads [start, endExclusive) of the stored bytes; the range must lie below what was written. */
  readRange(key: MediaKey, start: number, endExclusive: number): AsyncIterable<Uint8Array>;
  /** A reader of the stored bytes that stays open while the upload grows. */
  openReader(key: MediaKey): Promise<MediaReader>;
  /** Moves the media to a terminal state and removes its data; the record stays so it answers 404. */
  terminateMedia(key: MediaKey, state: 'cancelled' | 'expired'): Promise<void>;
  /** Open uploads whose `expiresAt` has passed. */
  listExpiredUploads(now: number): Promise<MediaRecord[]>;
  /** Changes made by every instance sharing the store (absent: this process is the only writer). */
  readonly changes?: MediaChangeFeed;
  /** MSC3870 uploads straight into the store (absent: the store cannot take them). */
  readonly directUploads?: DirectUploadStore;
  /** Housekeeping besides expiry, run by the sweeper: e.g. removing objects nothing references. */
  sweepStorage?(now: number): Promise<void>;
  close(): Promise<void>;
}

/** An upload's recorded state after a change: new acknowledged bytes, a declared length, an end. */
export interface MediaChange extends MediaKey {
  readonly uploadOffset: number;
  readonly declaredLength: number | null;
  readonly state: MediaState;
}

export interface MediaChangeFeed {
  /**
   * Calls `onChange` for every recorded change, in commit order per upload, and `onResync` after any
   * gap in which changes may have been missed (the feed's connection was lost and re-established).
   */
  subscribe(onChange: (change: MediaChange) => void, onResync: () => void): () => void;
}

export type DirectUploadOutcome =
  | { readonly kind: 'complete'; readonly length: number }
  /** Nothing was uploaded to the URL yet. */
  | { readonly kind: 'absent' }
  /** The object is larger than allowed: it was removed and the media cancelled. */
  | { readonly kind: 'too-large'; readonly length: number }
  /** The media is not open for a direct upload (bytes came another way, or it ended). */
  | { readonly kind: 'not-direct' };

/** MSC3870: a presigned PUT straight into the object store, bound to one media ID. */
export interface DirectUploadStore {
  /**
   * A URL valid for `expiresInSeconds` and the headers a PUT to it must carry (signed with it); with
   * `size`, the store refuses a body of any other length.
   */
  presignUpload(
    key: MediaKey,
    options: { readonly size?: number; readonly expiresInSeconds: number },
  ): Promise<{ readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly expiresAt: number }>;
  /** Whether the direct upload arrived; records it complete if so (idempotent: a second call finds it done). */
  completeDirectUpload(key: MediaKey, maxBytes: number): Promise<DirectUploadOutcome>;
}
