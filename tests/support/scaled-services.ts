import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickFreePort } from '../../scripts/stack/ports.js';
import {
  ensureDatabase,
  initPostgres,
  postgresUrl,
  startPostgres,
  stopPostgres,
  type PostgresCluster,
} from '../../scripts/stack/scaled/postgres.js';
import {
  ensureBucket,
  s3Endpoint,
  startSeaweed,
  stopSeaweed,
  type SeaweedInstance,
} from '../../scripts/stack/scaled/seaweedfs.js';
import type { ObjectStorageConfig } from '../../server/config.js';

// The SDK's notice that its releases from 2027 on need Node 22 is not about these tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/*
 * A PostgreSQL cluster and a SeaweedFS server of a test file's own, in a temporary directory on
 * 127.0.0.1 ports picked at start: the tests of the object store can stop, restart and break them
 * without touching the stack. `stop` kills both and removes the directory.
 */

export interface ScaledServices {
  readonly postgres: PostgresCluster;
  readonly seaweed: SeaweedInstance;
  readonly database: { readonly user: string; readonly password: string; readonly database: string };
  readonly bucket: string;
  /** The `storage` section of a media server's config for these services (overrides merged in). */
  storageConfig(overrides?: Partial<ObjectStorageConfig>): ObjectStorageConfig;
  startSeaweed(): Promise<void>;
  stopSeaweed(): Promise<void>;
  startPostgres(): Promise<void>;
  stopPostgres(mode?: 'fast' | 'immediate'): Promise<void>;
  stop(): Promise<void>;
}

async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await pickFreePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

export async function startScaledServices(): Promise<ScaledServices> {
  const dir = await mkdtemp(join(tmpdir(), 'slipstream-scaled-'));
  // PostgreSQL runs as `postgres` under root: it must be able to reach its directory inside this one.
  await chmod(dir, 0o755);
  const [pgPort, s3, master, volume, filer, masterGrpc, volumeGrpc, filerGrpc, s3Grpc] = await freePorts(9);
  const postgres: PostgresCluster = {
    dir: join(dir, 'postgres'),
    port: pgPort!,
    superPassword: randomBytes(12).toString('hex'),
  };
  const seaweed: SeaweedInstance = {
    dir: join(dir, 'seaweedfs'),
    ports: {
      s3: s3!,
      master: master!,
      volume: volume!,
      filer: filer!,
      masterGrpc: masterGrpc!,
      volumeGrpc: volumeGrpc!,
      filerGrpc: filerGrpc!,
      s3Grpc: s3Grpc!,
    },
    accessKeyId: `test${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  const database = { user: 'slipstream', password: randomBytes(12).toString('hex'), database: 'slipstream' };
  const bucket = 'slipstream-media';
  // Speed over durability for a throwaway cluster: a crash of the machine loses nothing we keep.
  const pgSettings = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];

  const services: ScaledServices = {
    postgres,
    seaweed,
    database,
    bucket,
    storageConfig: (overrides = {}) => ({
      kind: 'object',
      s3: {
        endpoint: s3Endpoint(seaweed),
        region: 'us-east-1',
        bucket,
        keyPrefix: '',
        accessKeyId: seaweed.accessKeyId,
        secretAccessKey: seaweed.secretAccessKey,
        forcePathStyle: true,
      },
      postgres: {
        connectionString: postgresUrl(postgres, database.user, database.password, database.database),
        poolSize: 5,
      },
      partBytes: 1024 * 1024,
      partDelayMs: 100,
      retryForMs: 15_000,
      orphanGraceMs: 60 * 60_000,
      pollIntervalMs: 500,
      readCacheBytes: 64 * 1024 * 1024,
      directUploads: { enabled: true, urlExpiresInSeconds: 300 },
      ...overrides,
    }),
    startSeaweed: async () => {
      await startSeaweed(seaweed);
    },
    stopSeaweed: async () => {
      await stopSeaweed(seaweed);
    },
    startPostgres: async () => {
      await startPostgres(postgres, pgSettings);
    },
    stopPostgres: async (mode = 'fast') => {
      await stopPostgres(postgres, mode);
    },
    stop: async () => {
      await stopSeaweed(seaweed).catch(() => undefined);
      await stopPostgres(postgres, 'immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await initPostgres(postgres);
    await startPostgres(postgres, pgSettings);
    await ensureDatabase(postgres, database);
    await startSeaweed(seaweed);
    await ensureBucket(seaweed, bucket);
  } catch (error) {
    await services.stop();
    throw error;
  }
  return services;
}
