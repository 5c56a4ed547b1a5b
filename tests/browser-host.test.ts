import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, connectToHost, sessionCookieFor, startHostProcess } from './support/browser-host.js';
import { runCli } from './support/cli.js';
import { ensureStack, registerUser, type StackInfo } from './support/stack.js';
import { makeSampleFile, sha256OfFile } from './support/transfer.js';

/*
 * The browser host as a person and the page meet it, below the UI: files handed to it from its
 * command line and from a second launch, one host per data directory, the app's own chooser within
 * home and the folders it was given, dropped files through the spool, and decrypted media over HTTP.
 */

describe('slipstream app', () => {
  let scratch: string;
  let home: string;
  let dataDir: string;
  let host: HostProcess;
  let stack: StackInfo;

  beforeAll(async () => {
    stack = await ensureStack();
    scratch = await mkdtemp(join(tmpdir(), 'slipstream-app-'));
    home = join(scratch, 'home');
    dataDir = join(scratch, 'data');
    await mkdir(join(home, 'Videos'), { recursive: true });
    await writeFile(join(home, 'Videos', 'talk.mp4'), Buffer.alloc(4096, 7));
    await mkdir(join(scratch, 'elsewhere'));
    await writeFile(join(scratch, 'elsewhere', 'outside.txt'), 'not yours to send');
    await mkdir(join(scratch, 'extra'));
    await writeFile(join(scratch, 'extra', 'scene.glb'), Buffer.alloc(10));
    host = await startHostProcess({
      dataDir,
      home,
      folders: [join(scratch, 'extra')],
      files: [join(home, 'Videos', 'talk.mp4')],
    });
  }, 180_000);

  afterAll(async () => {
    await host?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('offers the files named on its command line once, to the first page that asks', async () => {
    const api = await connectToHost(host.url);
    expect(await api.takeOpenedFiles()).toEqual({ paths: [join(home, 'Videos', 'talk.mp4')] });
    expect(await api.takeOpenedFiles()).toEqual({ paths: [] });
    api.disconnect();
  });

  it('hands the files of a second launch to the running host, which pushes them to its page', async () => {
    const api = await connectToHost(host.url);
    const opened: string[][] = [];
    api.on('filesOpened', ({ paths }) => opened.push(paths));
    // As the page does once it listens: from then on, files handed over are pushed to it.
    expect(await api.takeOpenedFiles()).toEqual({ paths: [] });
    const second = await runCli(['app', '--no-open', '--data-dir', dataDir, join(scratch, 'extra', 'scene.glb')], {
      env: { ...process.env, HOME: home },
      timeoutMs: 60_000,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('already running');
    expect(second.stdout.toString().trim()).toBe(host.url);
    await expect.poll(() => opened).toEqual([[join(scratch, 'extra', 'scene.glb')]]);
    api.disconnect();
  });

  it('explains bad arguments in words', async () => {
    const missing = await runCli(['app', '--no-open', '--data-dir', dataDir, join(scratch, 'nope.mp4')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(scratch, 'nope.mp4')} does not exist`);
    const badFolder = await runCli(['app', '--no-open', '--folder', join(scratch, 'nope')]);
    expect(badFolder.code).toBe(2);
    expect(badFolder.stderr).toContain('is not a folder');
    const help = await runCli(['app', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('slipstream app [<file>...]');
  });

  it("lists home and the added folders in the app's chooser, and refuses everything else", async () => {
    const api = await connectToHost(host.url);
    const places = await api.listFolder({});
    expect(places.places.map((place) => place.label)).toEqual(['Home', 'extra']);
    const videos = await api.listFolder({ path: join(home, 'Videos') });
    expect(videos.entries).toEqual([
      expect.objectContaining({ name: 'talk.mp4', kind: 'file', size: 4096, path: join(home, 'Videos', 'talk.mp4') }),
    ]);
    await expect(api.listFolder({ path: '/etc' })).rejects.toMatchObject({ code: 'PATH_REFUSED' });
    await expect(api.listFolder({ path: dataDir })).rejects.toMatchObject({ code: 'PATH_REFUSED' });
    api.disconnect();
  });

  it('sends only from home and the added folders, never from its own data directory', async () => {
    const user = await registerUser(stack);
    const api = await connectToHost(host.url);
    await expect(
      api.sendFile({ source: { kind: 'path', path: join(home, 'Videos', 'talk.mp4') } }),
    ).rejects.toMatchObject({
      code: 'NOT_SIGNED_IN',
    });
    await api.saveSession({
      homeserverUrl: stack.baseUrl,
      userId: user.userId,
      deviceId: 'HOSTTEST',
      accessToken: user.accessToken,
    });
    await expect(
      api.sendFile({ source: { kind: 'path', path: join(scratch, 'elsewhere', 'outside.txt') } }),
    ).rejects.toMatchObject({ code: 'PATH_REFUSED', message: expect.stringContaining('--folder') });
    await expect(
      api.sendFile({ source: { kind: 'path', path: join(dataDir, 'secret-store.key') } }),
    ).rejects.toMatchObject({ code: 'PATH_REFUSED' });
    const sent = await api.sendFile({ source: { kind: 'path', path: join(scratch, 'extra', 'scene.glb') } });
    expect(sent.content.filename).toBe('scene.glb');
    await api.clearSession();
    api.disconnect();
  });

  it('takes a dropped file into the spool, sends it, serves it decrypted with ranges, and cleans the spool', async () => {
    const user = await registerUser(stack);
    const api = await connectToHost(host.url);
    await api.saveSession({
      homeserverUrl: stack.baseUrl,
      userId: user.userId,
      deviceId: 'HOSTTEST',
      accessToken: user.accessToken,
    });
    const source = join(scratch, 'dropped.bin');
    await makeSampleFile(source, 3 * 1024 * 1024 + 17);
    const cookie = await sessionCookieFor(host.url);
    const body = await readFile(source);
    const spooled = await fetch(`${host.origin}/spool?name=${encodeURIComponent('holiday video.bin')}`, {
      method: 'PUT',
      headers: { Cookie: cookie },
      body,
    });
    expect(spooled.status).toBe(201);
    const { spoolId, size } = (await spooled.json()) as { spoolId: string; size: number };
    expect(size).toBe(body.length);

    const completed = new Promise<void>((resolve) =>
      api.on(
        'transferUpdated',
        (update) => update.status === 'completed' && update.fileName === 'holiday video.bin' && resolve(),
      ),
    );
    const sent = await api.sendFile({ source: { kind: 'spooled', spoolId }, format: 'v3' });
    await completed;
    await expect.poll(async () => readdir(join(dataDir, 'spool'))).toEqual([]);

    const media = await fetch(`${host.origin}/media/transfer/${sent.transferId}/holiday%20video.bin`, {
      headers: { Cookie: cookie, Range: 'bytes=3145728-3145744' },
    });
    expect(media.status).toBe(206);
    expect(Buffer.from(await media.arrayBuffer())).toEqual(body.subarray(3145728, 3145745));

    const out = join(scratch, 'downloaded');
    await mkdir(out);
    const download = await runCli(
      [
        'download',
        '--file-json',
        '-',
        '--homeserver',
        stack.baseUrl,
        '--out',
        out,
        '--state-dir',
        join(scratch, 'cli-state'),
      ],
      {
        stdin: Buffer.from(JSON.stringify(sent.content)),
        env: { ...process.env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken },
      },
    );
    expect(download.code, download.stderr).toBe(0);
    expect(await sha256OfFile(join(out, 'holiday video.bin'))).toBe(await sha256OfFile(source));
    api.disconnect();
  });

  it('removes a dropped copy whose send cannot start (no one signed in), rather than leave it behind', async () => {
    const api = await connectToHost(host.url);
    await api.clearSession();
    const cookie = await sessionCookieFor(host.url);
    const spooled = await fetch(`${host.origin}/spool?name=orphan.bin`, {
      method: 'PUT',
      headers: { Cookie: cookie },
      body: Buffer.alloc(100_000, 1),
    });
    const { spoolId } = (await spooled.json()) as { spoolId: string };
    await expect(api.sendFile({ source: { kind: 'spooled', spoolId } })).rejects.toMatchObject({
      code: 'NOT_SIGNED_IN',
    });
    await expect.poll(async () => readdir(join(dataDir, 'spool'))).toEqual([]);
    api.disconnect();
  });

  it('refuses a dropped file that arrives cut short, and keeps nothing of it', async () => {
    const cookie = await sessionCookieFor(host.url);
    const status = await new Promise<number>((resolve) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/spool?name=cut.bin',
          method: 'PUT',
          headers: { Cookie: cookie, 'Content-Length': '1000000' },
        },
        (incoming) => resolve(incoming.statusCode ?? 0),
      );
      outgoing.on('error', () => resolve(0));
      outgoing.write(Buffer.alloc(1000));
      setTimeout(() => outgoing.destroy(), 200);
    });
    expect(status === 0 || status === 400).toBe(true);
    await expect.poll(async () => readdir(join(dataDir, 'spool')).catch(() => [])).toEqual([]);
  });
});
