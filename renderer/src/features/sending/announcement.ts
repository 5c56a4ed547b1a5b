import type { FileMessageContent } from '../../../../shared/matrix/file-message';
import { OUTCOME_FOLLOWS_KEY } from '../../../../shared/matrix/transfer-outcome';
import { formatBytes } from '../../text/quantities';
import type { MediaInfoFields } from '../thumbnails/thumbnail-content';

/**
 * The `m.room.message` content Slipstream posts for a file the engine started sending: the engine's
 * content, the promise of an outcome event (docs/PROTOCOL.md §7), and — for MSC4016 v3, which other
 * clients cannot open — a `body` that tells their readers what this is. With `filename` set, clients
 * that follow the spec show `body` as the caption and `filename` as the name. `media` adds what the
 * app learnt of an image, video or audio file (size, duration, thumbnail) to `info`; the engine's own
 * `size` and `mimetype` stay as they are.
 */
export function announcedContent(content: FileMessageContent, media: MediaInfoFields = {}): Record<string, unknown> {
  const body =
    content.file.v === 'v2'
      ? content.filename
      : `${content.filename} (${formatBytes(content.info.size)}), shared with Slipstream in the streaming format of MSC4016, which this app cannot open yet: open it in Slipstream or another client that supports MSC4016.`;
  return { ...content, body, info: { ...media, ...content.info }, [OUTCOME_FOLLOWS_KEY]: true };
}
