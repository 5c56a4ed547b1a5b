import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  createMedia,
  downloadPath,
  observeDownload,
  pattern,
  SERVER_NAME,
  startFakeHomeserver,
  startPut,
  TOKENS,
  uploadPath,
  type FakeHomeserver,
} from '../server/testing/harness.js';
import { TUS_PATH_PREFIX } from '../server/tus/tus-handler.js';

/*
 * Durability across a crash: the media server runs as its own process (`slipstream serve` through tsx),
 * is SIGKILLed in the middle of a PUT and restarted on the same data directory. Everything acknowledged
 * must still be there and readable; nothing past it may be.
 */

const ACKNOWLEDGE_EVERY = 64 * 1024;
let homeserver: FakeHomeserver;
let dataDir: string;
let configPath: string;

beforeAll(async () => {
  homeserver = await startFakeHomeserver();
  dataDir = await mkdtemp(join(tmpdir(), 'slipstream-restart-'));
  configPath = join(dataDir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      serverName: SERVER_NAME,
      homeserverUrl: homeserver.url,
      dataDir: join(dataDir, 'data'),
      durability: { acknowledgeEveryBytes: ACKNOWLEDGE_EVERY },
    }),
  );
});
afterAll(async () => {
  await homeserver.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const script =
    "const { serveCommand } = await import('./cli/serve-command.ts'); process.exitCode = await serveCommand(process.argv.slice(1));";
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, '--', '--config', configPath],
    {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      output += text;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`media server exited (${code}) before listening:\n${output}`)));
  });
  return { child, url };
}

/** Polls tus HEAD until the acknowledged offset reaches `atLeast`; returns the offset it reported. */
async function waitForAcknowledged(url: string, headers: Record<string, string>, atLeast: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { method: 'HEAD', headers });
    const offset = Number(response.headers.get('upload-offset'));
    if (offset >= atLeast) return offset;
    if (attempt > 200) throw new Error(`the acknowledged offset stayed at ${offset}, below ${atLeast}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

describe('restart durability', () => {
  it('after SIGKILL mid-PUT, the acknowledged prefix survives, the tail is cut, and readers get the prefix', async () => {
    const body = pattern(1024 * 1024, 11);
    const first = await startServerProcess();
    const mediaId = await createMedia(first.url);
    const put = startPut(first.url, mediaId, { ...auth(TOKENS.alice), 'Content-Length': String(body.length) });
    put.response.catch(() => {});
    const sent = 300 * 1024;
    for (let offset = 0; offset < sent; offset += 16 * 1024)
      put.request.write(body.subarray(offset, Math.min(offset + 16 * 1024, sent)));
    // Wait until the server has stored all of it (a reader of the first `sent` bytes completes), and
    // until it has acknowledged most of it: acknowledgements run beside the writes, so they trail them.
    const seen = await observeDownload(first.url, `${downloadPath(mediaId)}?timeout_ms=10000`, {
      ...auth(TOKENS.bob),
      Range: `bytes=0-${sent - 1}`,
    });
    expect(seen.body.length).toBe(sent);
    const tusHeaders = { ...auth(TOKENS.alice), 'Tus-Resumable': '1.0.0' };
    const acknowledgedBeforeKill = await waitForAcknowledged(
      `${first.url}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`,
      tusHeaders,
      sent - ACKNOWLEDGE_EVERY,
    );
    first.child.kill('SIGKILL');
    await exited(first.child);
    put.request.destroy();

    const second = await startServerProcess();
    try {
      const db = new Database(join(dataDir, 'data', 'media.db'), { readonly: true });
      const row = db.prepare('SELECT upload_offset, state FROM media WHERE media_id = ?').get(mediaId) as {
        upload_offset: number;
        state: string;
      };
      db.close();
      // Every offset acknowledged before the kill survived it, and nothing beyond what arrived was recorded.
      expect(row.state).toBe('uploading');
      expect(row.upload_offset).toBeGreaterThanOrEqual(acknowledgedBeforeKill);
      expect(row.upload_offset).toBeLessThanOrEqual(sent);
      console.log(`acknowledged before SIGKILL: ${row.upload_offset} of ${sent} bytes received`);
      const file = await stat(join(dataDir, 'data', 'uploads', SERVER_NAME, mediaId));
      expect(file.size).toBe(row.upload_offset);

      const prefix = await observeDownload(second.url, downloadPath(mediaId), {
        ...auth(TOKENS.bob),
        Range: `bytes=0-${row.upload_offset - 1}`,
      });
      expect(prefix.status).toBe(206);
      expect(prefix.headers['content-range']).toBe(`bytes 0-${row.upload_offset - 1}/${body.length}`);
      expect(prefix.body.equals(body.subarray(0, row.upload_offset))).toBe(true);

      const again = await fetch(`${second.url}${uploadPath(mediaId)}`, {
        method: 'PUT',
        headers: auth(TOKENS.alice),
        body: 'x',
      });
      expect(again.status).toBe(409);

      // The upload resumes with tus from the offset HEAD reports, and then reads back whole.
      const tusUrl = `${second.url}${TUS_PATH_PREFIX}/${SERVER_NAME}/${mediaId}`;
      const headResponse = await fetch(tusUrl, { method: 'HEAD', headers: tusHeaders });
      expect(headResponse.headers.get('upload-offset')).toBe(String(row.upload_offset));
      const resumed = await fetch(tusUrl, {
        method: 'PATCH',
        headers: {
          ...tusHeaders,
          'Upload-Offset': String(row.upload_offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: body.subarray(row.upload_offset),
      });
      expect(resumed.headers.get('upload-offset')).toBe(String(body.length));
      const whole = await observeDownload(second.url, downloadPath(mediaId));
      expect(whole.aborted).toBe(false);
      expect(whole.body.equals(body)).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
    }
  });
});
