import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import { MatrixError } from '../http/matrix-error.js';
import { uploadInProgress } from '../handlers/upload-put-handler.js';
import { loadMedia, type MediaServerContext } from '../media-context.js';
import type { MediaKey } from '../storage/media-store.js';
import { receiveUpload } from '../upload-receiver.js';

/**
 * @tus/server's storage, adapted onto the media server's own store instead of @tus/file-store.
 *
 * Why not FileStore: it keeps its own offset (the data file's size, with no fsync, so a PATCH's
 * Upload-Offset is not durable) and its own metadata (a JSON file per upload), and tells nobody about
 * bytes as they arrive except through a throttled POST_RECEIVE event. Sharing a data file with it would
 * give two sources of truth for the offset, and the PUT path, the restart reconciliation and the live
 * readers would all disagree with tus about what was acknowledged. This adapter keeps @tus/server for
 * the protocol (headers, offsets, 409s, defer-length, termination, locking) and routes every byte
 * through the same `receiveUpload` as a streamed PUT: one file, one acknowledged offset, one
 * notification path.
 *
 * The tus upload ID is the media ID from /create: no tus creation request exists or is needed.
 */
export class MediaTusStore extends DataStore {
  constructor(private readonly context: MediaServerContext) {
    super();
    this.extensions = ['creation-defer-length', 'termination'];
  }

  private key(id: string): MediaKey {
    return { serverName: this.context.config.serverName, mediaId: id };
  }

  override async getUpload(id: string): Promise<Upload> {
    const record = await loadMedia(this.context, this.key(id));
    if (!record || record.state === 'expired' || record.state === 'cancelled') throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      offset: record.uploadOffset,
      ...(record.declaredLength !== null && { size: record.declaredLength }),
      creation_date: new Date(record.createdAt).toISOString(),
    });
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    const key = this.key(id);
    await this.context.store.updateMetadata(key, { declaredLength: length });
    const record = await this.context.store.getMedia(key);
    if (record) this.context.live.progress(key, this.context.live.status(record).writtenOffset, length);
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const key = this.key(id);
    const record = await loadMedia(this.context, key);
    if (!record || record.state === 'expired' || record.state === 'cancelled') throw ERRORS.FILE_NOT_FOUND;
    if (record.state === 'complete') {
      throw new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media already has content');
    }
    if (record.uploadOffset !== offset) throw ERRORS.INVALID_OFFSET;
    if (!this.context.live.acquireWriter(record)) throw uploadInProgress();
    try {
      const complete = record.declaredLength !== null;
      const outcome = await receiveUpload(this.context, key, stream, record.declaredLength, complete);
      return outcome.kind === 'complete' ? outcome.length : outcome.acknowledgedOffset;
    } finally {
      this.context.live.releaseWriter(key);
    }
  }

  /** tus termination: the upload is cancelled, its data removed, and every reader's response aborted. */
  override async remove(id: string): Promise<void> {
    const key = this.key(id);
    const record = await this.context.store.getMedia(key);
    if (!record || record.state === 'expired' || record.state === 'cancelled') throw ERRORS.FILE_NOT_FOUND;
    await this.context.store.terminateMedia(key, 'cancelled');
    this.context.live.finish(key, 'cancelled');
  }
}
