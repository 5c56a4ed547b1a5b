import type { Clock } from '../clock.js';
import type { MediaServerConfig } from '../config.js';
import type { Logger } from '../media-context.js';
import { FileMediaStore } from './file-media-store.js';
import type { MediaStore } from './media-store.js';
import { ObjectMediaStore } from './object/object-media-store.js';

/**
 * The store the configuration names: files + SQLite in `dataDir` (the default), or the object store +
 * PostgreSQL (`storage.kind: "object"`), which fails to open with a sentence naming the service that is
 * unreachable or refuses the credentials (StorageStartError).
 */
export async function openMediaStore(config: MediaServerConfig, log: Logger, clock: Clock): Promise<MediaStore> {
  if (config.storage.kind === 'object') {
    return ObjectMediaStore.open(config.storage, {
      maxUploadBytes: config.limits.maxUploadBytes,
      log,
      now: () => clock.now(),
    });
  }
  const opened = await FileMediaStore.open(config.dataDir);
  for (const key of opened.reconciled.truncated) log.info(`cut unacknowledged bytes from ${key.mediaId}`);
  for (const key of opened.reconciled.shortened) log.warn(`upload ${key.mediaId} was shorter than its recorded offset`);
  return opened.store;
}
