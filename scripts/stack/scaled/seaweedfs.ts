import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../errors.js';
import { REPO_ROOT } from '../paths.js';
import { LOOPBACK } from '../ports.js';
import { logTail, startDetached, stopByPidFile, runningPid, type DetachedProcess } from '../processes.js';

/*
 * SeaweedFS (Apache-2.0) as the object store: `weed server` with its master, volume server, filer and
 * S3 gateway in one process, all on 127.0.0.1, every port chosen by the caller (none of its defaults:
 * the machine runs other things). Built by scripts/setup-scaled-storage.sh into .cache/seaweedfs/.
 */

/** Must match SEAWEEDFS_VERSION in scripts/setup-scaled-storage.sh. */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
export const WEED = join(REPO_ROOT, '.cache', 'seaweedfs', SEAWEEDFS_VERSION, 'weed');

export interface SeaweedPorts {
  readonly s3: number;
  readonly master: number;
  readonly volume: number;
  readonly filer: number;
  /** gRPC ports; SeaweedFS would otherwise take each HTTP port + 10000. */
  readonly masterGrpc: number;
  readonly volumeGrpc: number;
  readonly filerGrpc: number;
  readonly s3Grpc: number;
}

export interface SeaweedInstance {
  readonly dir: string;
  readonly ports: SeaweedPorts;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const files = (instance: SeaweedInstance) => ({
  data: join(instance.dir, 'data'),
  config: join(instance.dir, 's3-identities.json'),
  pid: join(instance.dir, 'weed.pid'),
  log: join(instance.dir, 'weed.log'),
});

export const s3Endpoint = (instance: SeaweedInstance): string => `http://${LOOPBACK}:${instance.ports.s3}`;

export function assertSeaweedBuilt(): void {
  if (!existsSync(WEED)) {
    throw new StackError(
      `SeaweedFS is not built (${WEED}): run \`bash scripts/setup-scaled-storage.sh\` (about five minutes, once)`,
    );
  }
}

export function weedArgs(instance: SeaweedInstance): string[] {
  const { ports } = instance;
  const paths = files(instance);
  return [
    'server',
    `-ip=${LOOPBACK}`,
    `-ip.bind=${LOOPBACK}`,
    `-dir=${paths.data}`,
    `-master.port=${ports.master}`,
    `-master.port.grpc=${ports.masterGrpc}`,
    `-volume.port=${ports.volume}`,
    `-volume.port.grpc=${ports.volumeGrpc}`,
    '-filer',
    `-filer.port=${ports.filer}`,
    `-filer.port.grpc=${ports.filerGrpc}`,
    `-filer.localSocket=${join(instance.dir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${ports.s3}`,
    `-s3.port.grpc=${ports.s3Grpc}`,
    `-s3.localSocket=${join(instance.dir, 's3.sock')}`,
    `-s3.config=${paths.config}`,
    // Everything else it would start on fixed default ports is off.
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-s3.iam=false',
    // No anonymous statistics sent anywhere.
    '-master.telemetry=false',
    // Small volumes, as many as the disk allows: tests make buckets (collections) freely.
    '-master.volumeSizeLimitMB=256',
    '-volume.max=0',
    '-volume.preStopSeconds=0',
  ];
}

/** Starts `weed server` and waits until its S3 gateway accepts the configured credentials. */
export async function startSeaweed(instance: SeaweedInstance): Promise<DetachedProcess> {
  assertSeaweedBuilt();
  const paths = files(instance);
  await mkdir(paths.data, { recursive: true });
  const identities = {
    identities: [
      {
        name: 'slipstream',
        credentials: [{ accessKey: instance.accessKeyId, secretKey: instance.secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  await writeFile(paths.config, `${JSON.stringify(identities, null, 2)}\n`, { mode: 0o600 });
  const started = await startDetached(WEED, weedArgs(instance), {
    cwd: instance.dir,
    logFile: paths.log,
    pidFile: paths.pid,
  });
  await waitForS3(instance, started);
  return started;
}

export function s3Client(instance: SeaweedInstance): S3Client {
  return new S3Client({
    endpoint: s3Endpoint(instance),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: instance.accessKeyId, secretAccessKey: instance.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function waitForS3(instance: SeaweedInstance, started: DetachedProcess, timeoutMs = 90_000): Promise<void> {
  let exitCode: number | null | undefined;
  void started.exited.then((code) => (exitCode = code));
  const client = s3Client(instance);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  try {
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new StackError(
          `SeaweedFS exited (code ${exitCode}); see ${files(instance).log}`,
          await logTail(files(instance).log),
        );
      }
      try {
        await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        last = error;
        await sleep(250);
      }
    }
  } finally {
    client.destroy();
  }
  throw new StackError(
    `SeaweedFS's S3 gateway did not answer on ${s3Endpoint(instance)} within ${timeoutMs / 1000} s (${String(last)})`,
    await logTail(files(instance).log),
  );
}

/**
 * Creates the bucket unless it exists, then writes and deletes one object: SeaweedFS grows the volumes
 * of a bucket's collection at its first write, which takes several seconds on two cores, and that
 * wait belongs to start-up, not to the first upload.
 */
export async function ensureBucket(instance: SeaweedInstance, bucket: string): Promise<void> {
  const client = s3Client(instance);
  try {
    const existing = await client.send(new ListBucketsCommand({}));
    if (!existing.Buckets?.some((b) => b.Name === bucket)) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const key = '.slipstream-warm-up';
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'warm-up' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } finally {
    client.destroy();
  }
}

export const seaweedPid = (instance: SeaweedInstance): Promise<number | undefined> => runningPid(files(instance).pid);

export const stopSeaweed = (instance: SeaweedInstance): Promise<number | undefined> =>
  stopByPidFile(files(instance).pid, 15_000);

export const seaweedLog = (instance: SeaweedInstance): Promise<string> =>
  readFile(files(instance).log, 'utf8').catch(() => '');
