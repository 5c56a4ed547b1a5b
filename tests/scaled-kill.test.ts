import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { patchRest, startPatch, tusHead } from './support/slow-patch.js';
import { startScaledServices, type ScaledServices } from './support/scaled-services.js';

/*
 * Two media servers as separate processes (`slipstream serve`) on one object store and PostgreSQL:
 * one is killed with SIGKILL in the middle of a tus PATCH. Nothing it acknowledged may be lost; the
 * client resumes on the other instance from the offset the store holds and completes byte-identical,
 * and a reader following the upload on the other instance receives every byte.
 */

const CLI = join(import.meta.dirname, '..', 'bin', 'slipstream');

interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
}

let services: ScaledServices;
let homeserver: FakeHomeserver;
let dir: string;
const children: ChildProcess[] = [];

async function startInstance(): Promise<Instance> {
  const port = await pickFreePort();
  const config = join(dir, `instance-${port}.json`);
  await writeFile(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port },
      serverName: SERVER_NAME,
      homeserverUrl: homeserver.url,
      dataDir: join(dir, `data-${port}`),
      storage: services.storageConfig(),
    }),
  );
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  children.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`slipstream serve exited (${code}): ${output}`)));
  });
  return { url, child };
}

beforeAll(async () => {
  services = await startScaledServices();
  homeserver = await startFakeHomeserver();
  dir = await mkdtemp(join(tmpdir(), 'slipstream-kill-'));
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await homeserver?.close();
  await services?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('an instance killed mid-PATCH', () => {
  it('loses nothing it acknowledged; the upload resumes on the other instance and completes byte-identical', async () => {
    const [first, second] = await Promise.all([startInstance(), startInstance()]);
    const body = pattern(6 * 1024 * 1024 + 321, 17);
    const mediaId = await createMedia(first.url);
    const reader = observeDownload(second.url, `${downloadPath(mediaId)}?timeout_ms=60000`);

    const patch = startPatch(first.url, mediaId, 0, { 'Upload-Length': String(body.length) });
    const chunk = 64 * 1024;
    let sent = 0;
    let killed = false;
    // The body keeps flowing, slowly enough that parts are recorded as it goes, until the kill.
    const sending = (async () => {
      while (sent < body.length - chunk && !killed) {
        if (!(await patch.write(body.subarray(sent, sent + chunk)))) return;
        sent += chunk;
        await sleep(5);
      }
    })();
    // Kill once the store holds some of it, while more is on its way.
    for (let i = 0; i < 400 && (await tusHead(second.url, mediaId)).offset < 1024 * 1024; i += 1) await sleep(25);
    first.child.kill('SIGKILL');
    killed = true;
    const outcome = await patch.outcome;
    await sending;
    expect(outcome.kind).toBe('broken');

    const { offset, length } = await tusHead(second.url, mediaId);
    console.log(`killed after ${sent} bytes were sent; the store holds ${offset}`);
    expect(length).toBe(body.length);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(sent);
    const resumed = await patchRest(second.url, mediaId, offset, body);
    expect(resumed.status).toBe(204);
    expect(resumed.headers.get('upload-offset')).toBe(String(body.length));

    const download = await observeDownload(second.url, downloadPath(mediaId));
    expect(download.body.equals(body)).toBe(true);
    const followed = await reader;
    expect(followed.aborted).toBe(false);
    expect(followed.body.equals(body)).toBe(true);
    second.child.kill('SIGTERM');
  }, 120_000);
});
