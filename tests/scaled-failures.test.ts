import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorageConfig } from '../server/config.js';
import {
  createMedia,
  downloadPath,
  observeDownload,
  pattern,
  SERVER_NAME,
  sleep,
  startFakeHomeserver,
  type FakeHomeserver,
} from '../server/testing/harness.js';
import { pickFreePort } from '../scripts/stack/ports.js';
import { postgresUrl } from '../scripts/stack/scaled/postgres.js';
import { startObjectStoreInstance, type MediaInstance } from './support/scaled-media.js';
import { startScaledServices, type ScaledServices } from './support/scaled-services.js';
import { patchRest, startPatch, tusHead, type PatchOutcome } from './support/slow-patch.js';

/*
 * The object store and PostgreSQL failing: unreachable or refusing the credentials at start (an error
 * naming which), and going away in the middle of an upload (the upload waits while the service comes
 * back, or fails with a 503 naming it; either way no record is corrupted and the client resumes).
 */

let services: ScaledServices;
let homeserver: FakeHomeserver;

beforeAll(async () => {
  services = await startScaledServices();
  homeserver = await startFakeHomeserver();
}, 180_000);

afterAll(async () => {
  await homeserver?.close();
  await services?.stop();
}, 60_000);

async function closedPort(): Promise<number> {
  return pickFreePort();
}

function withS3(overrides: Partial<ObjectStorageConfig['s3']>): Partial<ObjectStorageConfig> {
  return { s3: { ...services.storageConfig().s3, ...overrides } };
}

function withPostgres(connectionString: string): Partial<ObjectStorageConfig> {
  return { postgres: { connectionString, poolSize: 2 } };
}

describe('the store or PostgreSQL unusable at start', () => {
  it('an unreachable object store is named', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    await expect(startObjectStoreInstance(services, homeserver, { storage: withS3({ endpoint }) })).rejects.toThrow(
      /the object store \(bucket "slipstream-media" at http:\/\/127\.0\.0\.1:\d+\) cannot be reached/,
    );
  });

  it('an unreachable PostgreSQL is named', async () => {
    const url = postgresUrl({ ...services.postgres, port: await closedPort() }, 'slipstream', 'x', 'slipstream');
    await expect(startObjectStoreInstance(services, homeserver, { storage: withPostgres(url) })).rejects.toThrow(
      /the database \(PostgreSQL at 127\.0\.0\.1:\d+\/slipstream\) cannot be reached \(ECONNREFUSED\)/,
    );
  });

  it('wrong object store credentials are named', async () => {
    await expect(
      startObjectStoreInstance(services, homeserver, { storage: withS3({ secretAccessKey: 'not-the-secret' }) }),
    ).rejects.toThrow(/the object store .* refused the credentials/);
  });

  it('wrong PostgreSQL credentials are named', async () => {
    const url = postgresUrl(services.postgres, services.database.user, 'not-the-password', services.database.database);
    await expect(startObjectStoreInstance(services, homeserver, { storage: withPostgres(url) })).rejects.toThrow(
      /the database \(PostgreSQL at .*\) refused the credentials/,
    );
  });

  it('`slipstream serve` says which service and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipstream-serve-'));
    try {
      const config = join(dir, 'config.json');
      const url = postgresUrl({ ...services.postgres, port: await closedPort() }, 'slipstream', 'x', 'slipstream');
      await writeFile(
        config,
        JSON.stringify({
          listen: { host: '127.0.0.1', port: 0 },
          serverName: SERVER_NAME,
          homeserverUrl: homeserver.url,
          dataDir: join(dir, 'data'),
          storage: services.storageConfig(withPostgres(url)),
        }),
      );
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, '..', 'bin', 'slipstream'), 'serve', '--config', config],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toMatch(/slipstream serve: cannot start: the database \(PostgreSQL at .*\) cannot be reached/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The part table of an upload agrees with its offset: contiguous from 0, ending exactly there. */
async function recordIsConsistent(mediaId: string): Promise<{ offset: number; partsEnd: number; contiguous: boolean }> {
  const client = new pg.Client({ connectionString: services.storageConfig().postgres.connectionString });
  await client.connect();
  try {
    const media = await client.query<{ upload_offset: string }>(
      'SELECT upload_offset FROM media WHERE server_name = $1 AND media_id = $2',
      [SERVER_NAME, mediaId],
    );
    const parts = await client.query<{ start_offset: string; length: string }>(
      'SELECT start_offset, length FROM media_parts WHERE server_name = $1 AND media_id = $2 ORDER BY start_offset',
      [SERVER_NAME, mediaId],
    );
    let end = 0;
    let contiguous = true;
    for (const part of parts.rows) {
      if (Number(part.start_offset) !== end) contiguous = false;
      end = Number(part.start_offset) + Number(part.length);
    }
    return { offset: Number(media.rows[0]!.upload_offset), partsEnd: end, contiguous };
  } finally {
    await client.end();
  }
}

/** Sends `body` from 0 in 64 KiB pieces, calling `midway` once after `at` bytes; returns the outcome. */
async function patchWithInterruption(
  instance: MediaInstance,
  mediaId: string,
  body: Buffer,
  at: number,
  midway: () => Promise<void>,
): Promise<{ outcome: PatchOutcome; sent: number }> {
  const patch = startPatch(instance.url, mediaId, 0, { 'Upload-Length': String(body.length) });
  let sent = 0;
  let interrupted = false;
  while (sent < body.length) {
    if (!interrupted && sent >= at) {
      interrupted = true;
      await midway();
    }
    const end = Math.min(body.length, sent + 64 * 1024);
    if (!(await patch.write(body.subarray(sent, end)))) break;
    sent = end;
    await sleep(2);
  }
  patch.request.end();
  return { outcome: await patch.outcome, sent };
}

describe('a service going away mid-upload', () => {
  it('the object store restarted mid-upload: the upload waits for it (or fails clearly) and completes byte-identical', async () => {
    const instance = await startObjectStoreInstance(services, homeserver, { storage: { retryForMs: 30_000 } });
    try {
      const mediaId = await createMedia(instance.url);
      const body = pattern(4 * 1024 * 1024 + 5, 21);
      const { outcome } = await patchWithInterruption(instance, mediaId, body, 1024 * 1024, async () => {
        await services.stopSeaweed();
        await sleep(1_000);
        await services.startSeaweed();
      });
      if (outcome.kind === 'answered' && outcome.status !== 204) {
        // Past the retry window: a 503 that names the object store.
        expect(outcome.status).toBe(503);
        expect(outcome.text).toMatch(/object store is unavailable/);
      }
      console.log(
        `object store restart: the PATCH ${outcome.kind === 'answered' ? `answered ${outcome.status}` : 'broke'}`,
      );
      const { offset } = await tusHead(instance.url, mediaId);
      if (offset < body.length) expect((await patchRest(instance.url, mediaId, offset, body)).status).toBe(204);
      const download = await observeDownload(instance.url, downloadPath(mediaId));
      expect(download.body.equals(body)).toBe(true);
      expect(await recordIsConsistent(mediaId)).toEqual({
        offset: body.length,
        partsEnd: body.length,
        contiguous: true,
      });
    } finally {
      await instance.close();
    }
  }, 180_000);

  it('PostgreSQL stopped mid-upload: the client gets an error, the record stays consistent, the upload resumes', async () => {
    // Retries end after a second, so the database's absence reaches the client.
    const instance = await startObjectStoreInstance(services, homeserver, { storage: { retryForMs: 1_000 } });
    try {
      const mediaId = await createMedia(instance.url);
      const body = pattern(4 * 1024 * 1024 + 9, 23);
      const { outcome } = await patchWithInterruption(instance, mediaId, body, 1024 * 1024, async () => {
        await sleep(300);
        await services.stopPostgres('fast');
      });
      if (outcome.kind === 'answered') {
        expect(outcome.status).toBe(503);
        expect(outcome.text).toMatch(/database is unavailable/);
      }
      await services.startPostgres();
      // The pool and the change feed reconnect by themselves.
      let head: { offset: number } | undefined;
      for (let i = 0; i < 50 && !head; i += 1) {
        head = await tusHead(instance.url, mediaId).catch(() => undefined);
        if (!head) await sleep(200);
      }
      expect(head).toBeDefined();
      const before = await recordIsConsistent(mediaId);
      expect(before.contiguous).toBe(true);
      expect(before.partsEnd).toBe(before.offset);
      expect(before.offset).toBe(head!.offset);
      expect((await patchRest(instance.url, mediaId, head!.offset, body)).status).toBe(204);
      const download = await observeDownload(instance.url, downloadPath(mediaId));
      expect(download.body.equals(body)).toBe(true);
    } finally {
      await instance.close();
    }
  }, 180_000);
});
