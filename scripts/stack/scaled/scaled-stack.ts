import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SLIPSTREAM_NODE_FLAGS } from '../../../main/core/node-flags.js';
import { sourceFingerprint } from '../code-fingerprint.js';
import { withLock } from '../lock.js';
import { MEDIA_SERVER_ENVIRONMENT, mediaServerUrl } from '../media-server.js';
import { provisionNginx } from '../nginx.js';
import { REPO_ROOT, STACK_DIR } from '../paths.js';
import { LOOPBACK, pickFreePort } from '../ports.js';
import { answersOk, runningPid, startDetached, stopByPidFile, waitUntilHealthy } from '../processes.js';
import { stackUp, type Log } from '../stack.js';
import type { StackInfo } from '../stack-info.js';
import { MAX_PENDING_MEDIA_UPLOADS } from '../synapse-config.js';
import {
  ensureDatabase,
  initPostgres,
  postgresPid,
  postgresUrl,
  startPostgres,
  stopPostgres,
  type PostgresCluster,
} from './postgres.js';
import { scaledNginxPid, startScaledNginx, stopScaledNginx } from './scaled-nginx.js';
import {
  assertSeaweedBuilt,
  ensureBucket,
  s3Endpoint,
  seaweedPid,
  startSeaweed,
  stopSeaweed,
  type SeaweedInstance,
} from './seaweedfs.js';

/*
 * `npm run stack -- up --scale N`: beside the default stack's Synapse (started as by a plain `up`, and
 * otherwise left alone), PostgreSQL, SeaweedFS, N media-server instances sharing them (the object
 * store), and an nginx of its own balancing between the instances. Everything lives under
 * .stack/scaled/ with ports of its own, so the default stack and the scaled one run at once.
 */

export const SCALED_DIR = join(STACK_DIR, 'scaled');
const paths = {
  settings: join(SCALED_DIR, 'settings.json'),
  stackJson: join(SCALED_DIR, 'stack.json'),
  lock: join(SCALED_DIR, 'stack.lock'),
  postgres: join(SCALED_DIR, 'postgres'),
  seaweed: join(SCALED_DIR, 'seaweedfs'),
  nginx: join(SCALED_DIR, 'nginx'),
  instance: (i: number) => join(SCALED_DIR, `media-${i + 1}`),
};

interface ScaledSettings {
  ports: {
    nginx: number;
    postgres: number;
    seaweed: SeaweedInstance['ports'];
    media: number[];
  };
  postgresSuperPassword: string;
  postgresPassword: string;
  s3AccessKeyId: string;
  s3SecretAccessKey: string;
}

/** The scaled stack's stack.json: the default StackInfo (pointing at this stack's nginx) and more. */
export interface ScaledStackInfo extends StackInfo {
  readonly scale: number;
  /** Each instance's own listener. */
  readonly instanceUrls: readonly string[];
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly postgresPort: number;
}

const BUCKET = 'slipstream-media';
const DATABASE = { user: 'slipstream', database: 'slipstream' };

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await pickFreePort();
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

async function loadOrCreateSettings(scale: number): Promise<ScaledSettings> {
  const existing = JSON.parse(await readFile(paths.settings, 'utf8').catch(() => 'null')) as ScaledSettings | null;
  const taken = new Set<number>();
  const secret = (): string => randomBytes(24).toString('hex');
  let settings = existing;
  if (!settings) {
    const port = () => freePort(taken);
    settings = {
      ports: {
        nginx: await port(),
        postgres: await port(),
        seaweed: {
          s3: await port(),
          master: await port(),
          volume: await port(),
          filer: await port(),
          masterGrpc: await port(),
          volumeGrpc: await port(),
          filerGrpc: await port(),
          s3Grpc: await port(),
        },
        media: [],
      },
      postgresSuperPassword: secret(),
      postgresPassword: secret(),
      s3AccessKeyId: `slipstream${randomBytes(4).toString('hex')}`,
      s3SecretAccessKey: secret(),
    };
  }
  for (const port of [settings.ports.nginx, settings.ports.postgres, ...Object.values(settings.ports.seaweed)]) {
    taken.add(port);
  }
  settings.ports.media.forEach((port) => taken.add(port));
  while (settings.ports.media.length < scale) settings.ports.media.push(await freePort(taken));
  await writeFile(paths.settings, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  return settings;
}

const postgresOf = (settings: ScaledSettings): PostgresCluster => ({
  dir: paths.postgres,
  port: settings.ports.postgres,
  superPassword: settings.postgresSuperPassword,
});

const seaweedOf = (settings: ScaledSettings): SeaweedInstance => ({
  dir: paths.seaweed,
  ports: settings.ports.seaweed,
  accessKeyId: settings.s3AccessKeyId,
  secretAccessKey: settings.s3SecretAccessKey,
});

/** The JSON configuration of instance `i` (cli `slipstream serve --config`). */
function instanceConfig(settings: ScaledSettings, i: number, synapseUrl: string, serverName: string): object {
  const seaweed = seaweedOf(settings);
  return {
    listen: { host: LOOPBACK, port: settings.ports.media[i] },
    serverName,
    homeserverUrl: synapseUrl,
    homeserverMediaUrl: synapseUrl,
    dataDir: join(paths.instance(i), 'data'),
    limits: { pendingUploadsPerUser: MAX_PENDING_MEDIA_UPLOADS, createPerSecond: 1000, createBurst: 10000 },
    sweepIntervalMs: 10_000,
    storage: {
      kind: 'object',
      s3: {
        endpoint: s3Endpoint(seaweed),
        bucket: BUCKET,
        accessKeyId: seaweed.accessKeyId,
        secretAccessKey: seaweed.secretAccessKey,
        forcePathStyle: true,
      },
      postgres: {
        connectionString: postgresUrl(
          postgresOf(settings),
          DATABASE.user,
          settings.postgresPassword,
          DATABASE.database,
        ),
      },
    },
  };
}

const instanceFiles = (i: number) => ({
  config: join(paths.instance(i), 'config.json'),
  pid: join(paths.instance(i), 'media-server.pid'),
  log: join(paths.instance(i), 'media-server.log'),
  fingerprint: join(paths.instance(i), 'code-fingerprint'),
});

const healthUrl = (port: number): string => `${mediaServerUrl(port)}/_matrix/client/v1/media/config`;

async function ensureInstance(
  settings: ScaledSettings,
  i: number,
  base: StackInfo,
  log: Log,
  restartStale: boolean,
): Promise<number> {
  const files = instanceFiles(i);
  const port = settings.ports.media[i]!;
  await mkdir(join(paths.instance(i), 'data'), { recursive: true });
  const config = `${JSON.stringify(instanceConfig(settings, i, base.synapseUrl, base.serverName), null, 2)}\n`;
  const configChanged = (await readFile(files.config, 'utf8').catch(() => undefined)) !== config;
  if (configChanged) await writeFile(files.config, config, { mode: 0o600 });
  const fingerprint = await sourceFingerprint(REPO_ROOT);
  let pid = await runningPid(files.pid);
  const stale = (await readFile(files.fingerprint, 'utf8').catch(() => '')).trim() !== fingerprint;
  if (
    pid !== undefined &&
    (configChanged || !(await answersOk(healthUrl(port), 1_000, (s) => s < 500)) || (stale && restartStale))
  ) {
    log(`restarting media server ${i + 1} (pid ${pid})`);
    await stopByPidFile(files.pid, 10_000);
    pid = undefined;
  }
  if (pid !== undefined) return pid;
  log(`starting media server ${i + 1} on ${mediaServerUrl(port)}`);
  const started = await startDetached(
    process.execPath,
    [...SLIPSTREAM_NODE_FLAGS, join(REPO_ROOT, 'bin', 'slipstream'), 'serve', '--config', files.config],
    {
      cwd: REPO_ROOT,
      logFile: files.log,
      pidFile: files.pid,
      env: { ...process.env, ...MEDIA_SERVER_ENVIRONMENT, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  await waitUntilHealthy(`media server ${i + 1}`, healthUrl(port), started, files.log, 60_000, (s) => s < 500);
  await writeFile(files.fingerprint, `${fingerprint}\n`);
  return started.pid;
}

export async function scaledStackUp(
  log: Log,
  scale: number,
  options: { restartStale?: boolean } = {},
): Promise<ScaledStackInfo> {
  if (!Number.isInteger(scale) || scale < 1 || scale > 8) throw new Error('--scale takes a whole number from 1 to 8');
  assertSeaweedBuilt();
  // The default stack's own media server is left as it is (others may be using it): `up` restarts it.
  const base = await stackUp(log, { restartStaleMediaServer: false });
  await mkdir(SCALED_DIR, { recursive: true });
  return withLock(paths.lock, async () => {
    const settings = await loadOrCreateSettings(scale);
    const postgres = postgresOf(settings);
    await initPostgres(postgres);
    if ((await postgresPid(postgres)) === undefined) {
      log(`starting PostgreSQL on ${LOOPBACK}:${postgres.port}`);
      await startPostgres(postgres);
    }
    await ensureDatabase(postgres, { ...DATABASE, password: settings.postgresPassword });
    const seaweed = seaweedOf(settings);
    if ((await seaweedPid(seaweed)) === undefined) {
      log(`starting SeaweedFS (S3 on ${s3Endpoint(seaweed)})`);
      await startSeaweed(seaweed);
    }
    await ensureBucket(seaweed, BUCKET);

    const pids: number[] = [];
    for (let i = 0; i < scale; i += 1)
      pids.push(await ensureInstance(settings, i, base, log, options.restartStale ?? false));
    for (let i = scale; i < settings.ports.media.length; i += 1) {
      const stopped = await stopByPidFile(instanceFiles(i).pid, 10_000);
      if (stopped !== undefined) log(`stopped media server ${i + 1} (pid ${stopped})`);
    }
    const nginx = await provisionNginx(log);
    const nginxPid = await startScaledNginx(nginx, {
      dir: paths.nginx,
      port: settings.ports.nginx,
      synapsePort: base.ports.synapse,
      mediaPorts: settings.ports.media.slice(0, scale),
    });
    const baseUrl = `http://${LOOPBACK}:${settings.ports.nginx}`;
    const info: ScaledStackInfo = {
      ...base,
      baseUrl,
      mediaBackend: 'slipstream',
      mediaServerUrl: mediaServerUrl(settings.ports.media[0]!),
      pids: { ...base.pids, nginx: nginxPid, mediaServer: pids[0]! },
      scale,
      instanceUrls: settings.ports.media.slice(0, scale).map(mediaServerUrl),
      s3Endpoint: s3Endpoint(seaweed),
      bucket: BUCKET,
      postgresPort: postgres.port,
    };
    await writeFile(paths.stackJson, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    return info;
  });
}

/** Stops what the scaled stack runs (nothing of the default stack); a stack never started is fine. */
export async function scaledStackDown(log: Log): Promise<void> {
  const settings = JSON.parse(await readFile(paths.settings, 'utf8').catch(() => 'null')) as ScaledSettings | null;
  if (!settings) return;
  await withLock(paths.lock, async () => {
    await rm(paths.stackJson, { force: true });
    const stopped = await stopScaledNginx(paths.nginx);
    if (stopped !== undefined) log(`stopped nginx (scaled, pid ${stopped})`);
    for (let i = 0; i < settings.ports.media.length; i += 1) {
      const pid = await stopByPidFile(instanceFiles(i).pid, 10_000);
      if (pid !== undefined) log(`stopped media server ${i + 1} (pid ${pid})`);
    }
    const weed = await stopSeaweed(seaweedOf(settings));
    if (weed !== undefined) log(`stopped SeaweedFS (pid ${weed})`);
    const pg = await stopPostgres(postgresOf(settings));
    if (pg !== undefined) log(`stopped PostgreSQL (pid ${pg})`);
  });
}

export async function scaledStackStatus(): Promise<{ name: string; pid: number | undefined; url?: string }[]> {
  const settings = JSON.parse(await readFile(paths.settings, 'utf8').catch(() => 'null')) as ScaledSettings | null;
  if (!settings) return [];
  return [
    { name: 'PostgreSQL', pid: await postgresPid(postgresOf(settings)), url: `${LOOPBACK}:${settings.ports.postgres}` },
    { name: 'SeaweedFS', pid: await seaweedPid(seaweedOf(settings)), url: s3Endpoint(seaweedOf(settings)) },
    ...(await Promise.all(
      settings.ports.media.map(async (port, i) => ({
        name: `media ${i + 1}`,
        pid: await runningPid(instanceFiles(i).pid),
        url: mediaServerUrl(port),
      })),
    )),
    {
      name: 'nginx (scaled)',
      pid: await scaledNginxPid(paths.nginx),
      url: `http://${LOOPBACK}:${settings.ports.nginx}`,
    },
  ];
}

export async function readScaledStackInfo(): Promise<ScaledStackInfo | undefined> {
  try {
    return JSON.parse(await readFile(paths.stackJson, 'utf8')) as ScaledStackInfo;
  } catch {
    return undefined;
  }
}
