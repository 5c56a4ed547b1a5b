import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../server/clock.js';
import { parseConfig, type MediaServerConfigInput, type ObjectStorageConfig } from '../../server/config.js';
import { startMediaServer, type RunningMediaServer } from '../../server/media-server.js';
import { quietLogger, SERVER_NAME, type FakeHomeserver } from '../../server/testing/harness.js';
import type { ScaledServices } from './scaled-services.js';

/** A media server in this process on the object store, as one instance among several. */
export interface MediaInstance {
  readonly server: RunningMediaServer;
  readonly url: string;
  close(): Promise<void>;
}

export async function startObjectStoreInstance(
  services: ScaledServices,
  homeserver: FakeHomeserver,
  options: {
    storage?: Partial<ObjectStorageConfig>;
    config?: Partial<MediaServerConfigInput>;
    clock?: Clock;
  } = {},
): Promise<MediaInstance> {
  const dataDir = await mkdtemp(join(tmpdir(), 'slipstream-instance-'));
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    serverName: SERVER_NAME,
    homeserverUrl: homeserver.url,
    dataDir,
    ...options.config,
    storage: services.storageConfig(options.storage),
  });
  const server = await startMediaServer(config, {
    logger: quietLogger,
    ...(options.clock && { clock: options.clock }),
  });
  return {
    server,
    url: server.url,
    async close() {
      await server.close(100);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
