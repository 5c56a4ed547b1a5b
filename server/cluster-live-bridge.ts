import type { MediaServerContext } from './media-context.js';
import type { MediaChange, MediaChangeFeed, MediaKey, MediaRecord } from './storage/media-store.js';

const changeOfRecord = (record: MediaRecord): MediaChange => ({
  serverName: record.serverName,
  mediaId: record.mediaId,
  uploadOffset: record.uploadOffset,
  declaredLength: record.declaredLength,
  state: record.state,
});

/**
 * Carries a shared store's changes — every instance's recorded parts, declared lengths and ends — into
 * this instance's live-upload registry, so its readers follow an upload arriving at another instance as
 * they follow one arriving here (docs/ARCHITECTURE.md, "Several instances").
 *
 * Three paths, because NOTIFY is fast but not durable:
 * - the feed, for each change as it commits (a few milliseconds after the part is recorded);
 * - a re-read of the record when an upload starts being followed here (a change committed between the
 *   request's read of the record and its registration would otherwise be missed) and after the feed
 *   reconnects (changes sent while it was down are lost);
 * - a poll every `pollIntervalMs` of the uploads followed here, which bounds the delay whatever was
 *   lost, and notices MSC3870 uploads that arrived in the store without a `/complete`.
 */
export function bridgeStoreChanges(
  context: MediaServerContext,
  feed: MediaChangeFeed,
  pollIntervalMs: number,
): () => void {
  const apply = (change: MediaChange): void => {
    if (change.state === 'pending' || change.state === 'uploading') {
      context.live.advance(change, change.uploadOffset, change.declaredLength);
    } else {
      context.live.finish(change, change.state, change.state === 'complete' ? change.uploadOffset : undefined);
    }
  };
  const refresh = async (key: MediaKey, lookForDirectUpload: boolean): Promise<void> => {
    const record = await context.store.getMedia(key);
    if (!record) return;
    apply(changeOfRecord(record));
    if (lookForDirectUpload && record.state === 'pending' && context.store.directUploads) {
      // Its change is announced by the store once recorded.
      await context.store.directUploads.completeDirectUpload(key, context.config.limits.maxUploadBytes);
    }
  };
  const refreshLogged = (key: MediaKey, lookForDirectUpload: boolean): void => {
    refresh(key, lookForDirectUpload).catch((error: unknown) =>
      context.log.warn(`could not re-read ${key.mediaId}: ${(error as Error).message}`),
    );
  };

  const unsubscribe = feed.subscribe(apply, () => {
    for (const key of context.live.trackedKeys()) refreshLogged(key, false);
  });
  context.live.onTrack = (key) => refreshLogged(key, false);
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    const keys = context.live.trackedKeys().filter((key) => context.live.phaseOf(key) === 'open');
    void Promise.allSettled(keys.map((key) => refresh(key, true))).finally(() => (polling = false));
  }, pollIntervalMs);
  timer.unref();
  return () => {
    unsubscribe();
    clearInterval(timer);
    context.live.onTrack = undefined;
  };
}
