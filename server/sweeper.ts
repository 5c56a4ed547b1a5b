import { expireMedia, isOverdue, type MediaServerContext } from './media-context.js';

/**
 * Expires unused media whose `unused_expires_at` passed (MSC2246) and removes their partial data.
 * Uploads being written right now are left to finish (MSC2246 lets the server allow that).
 * Returns how many were expired.
 */
export async function sweepExpiredUploads(context: MediaServerContext): Promise<number> {
  let expired = 0;
  for (const record of await context.store.listExpiredUploads(context.clock.now())) {
    if (!isOverdue(context, record)) continue;
    await expireMedia(context, record);
    expired += 1;
  }
  // The store's own housekeeping (object store: objects nothing references any more).
  await context.store.sweepStorage?.(context.clock.now());
  return expired;
}
