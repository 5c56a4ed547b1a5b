import { DataStore, ERRORS, Upload } from '@tus/utils';
import { loadMedia, type MediaServerContext } from '../media-context.js';
import type { MediaKey } from '../storage/media-store.js';

/**
 * @tus/server's storage, adapted onto the media server's own store instead of @tus/file-store. It
 * serves HEAD (the acknowledged offset and declared length) and DELETE (termination); PATCH bodies do
 * not pass through @tus/server at all (tus-patch.ts says why) but go to the same `receiveUpload`.
 *
 * Why not FileStore: it keeps its own offset (the data file's size, with no fsync, so a PATCH's
 * Upload-Offset is not durable) and its own metadata (a JSON file per upload), and tells nobody about
 * bytes as they arrive except through a throttled POST_RECEIVE event. Sharing a data file with it would
 * give two sources of truth for the offset, and the PUT path, the restart reconciliation and the live
 * readers would all disagree with tus about what was acknowledged. Here there is one file, one
 * acknowledged offset, one notification path, whichever way the bytes came.
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

  /** tus termination: the upload is cancelled, its data removed, and every reader's response aborted. */
  override async remove(id: string): Promise<void> {
    const key = this.key(id);
    const record = await this.context.store.getMedia(key);
    if (!record || record.state === 'expired' || record.state === 'cancelled') throw ERRORS.FILE_NOT_FOUND;
    await this.context.store.terminateMedia(key, 'cancelled');
    this.context.live.finish(key, 'cancelled');
  }
}
