import type { MatrixClient } from 'matrix-js-sdk';
import { encryptAttachment } from 'matrix-encrypt-attachment/lib/webcrypto.js';
import { v2EncryptedFileSchema } from '../../../../shared/msc4016/encrypted-file';
import type { ThumbnailImage } from './media-snapshot';
import type { ThumbnailFile, UploadedThumbnail } from './thumbnail-content';

/** What of matrix-js-sdk's client a thumbnail's upload uses. */
export type ThumbnailUploadClient = Pick<MatrixClient, 'getRoom' | 'getCrypto' | 'uploadContent'>;

/**
 * Whether the room is end-to-end encrypted. Either sign is enough: the room's state (known from the
 * room list on) or the crypto layer (which takes a room in a little later after a start); a room this
 * client does not know yet counts as encrypted, so a thumbnail is never left readable by mistake.
 */
async function isEncryptedRoom(client: ThumbnailUploadClient, roomId: string): Promise<boolean> {
  const room = client.getRoom(roomId);
  if (!room || room.hasEncryptionStateEvent()) return true;
  return (await client.getCrypto()?.isEncryptionEnabledInRoom(roomId)) ?? false;
}

/**
 * Uploads a thumbnail as Element does: in an encrypted room, v2-encrypted with matrix-encrypt-attachment
 * (AES-CTR, SHA-256 of the ciphertext) and uploaded as an anonymous octet stream; elsewhere as the
 * image itself. One small request through matrix-js-sdk: a thumbnail needs neither streaming nor
 * resuming, and every Matrix client reads it.
 */
export async function uploadThumbnail(
  client: ThumbnailUploadClient,
  roomId: string,
  image: ThumbnailImage,
  signal: AbortSignal,
): Promise<UploadedThumbnail> {
  const abortController = new AbortController();
  signal.addEventListener('abort', () => abortController.abort(signal.reason), { once: true });
  const described = { width: image.width, height: image.height, mimetype: image.mimetype, size: image.blob.size };
  if (!(await isEncryptedRoom(client, roomId))) {
    const { content_uri: url } = await client.uploadContent(image.blob, {
      type: image.mimetype,
      includeFilename: false,
      abortController,
    });
    return { ...described, location: { kind: 'plain', url } };
  }
  const { data, info } = await encryptAttachment(await image.blob.arrayBuffer());
  signal.throwIfAborted();
  const { content_uri: url } = await client.uploadContent(new Blob([data]), {
    type: 'application/octet-stream',
    includeFilename: false,
    abortController,
  });
  // Checked like any received block: what goes into the event is a v2 file block with its URL.
  const file = v2EncryptedFileSchema.parse({ ...info, url }) as ThumbnailFile;
  return { ...described, location: { kind: 'encrypted', file } };
}
