import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './support/cli.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from './support/stack.js';
import { makeSampleFile, scratchDirectory, sha256OfFile } from './support/transfer.js';

/*
 * `slipstream upload`, `download` and `serve-media` as a user runs them, against the stack: what they
 * print where, their exit statuses, and their one-line errors.
 */

describe('the transfer commands', () => {
  let stack: StackInfo;
  let alice: MatrixUser;
  let bob: MatrixUser;
  let scratch: Awaited<ReturnType<typeof scratchDirectory>>;
  let source: string;
  let eventLine: string;

  beforeAll(async () => {
    stack = await ensureStack();
    [alice, bob] = await Promise.all([registerUser(stack), registerUser(stack)]);
    scratch = await scratchDirectory('transfer-cli');
    source = await makeSampleFile(join(scratch.path, 'holiday video.mp4'), 3 * 1024 * 1024 + 17);
  });

  afterAll(async () => {
    await scratch?.remove();
  });

  const as = (user: MatrixUser, state: string) => ({
    env: { ...process.env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken },
    stateArgs: ['--homeserver', stack.baseUrl, '--state-dir', join(scratch.path, state)],
  });

  it('upload --json prints the event content as one JSON line, then uploads with progress on stderr', async () => {
    const { env, stateArgs } = as(alice, 'alice');
    const result = await runCli(['upload', source, '--json', ...stateArgs], { env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    eventLine = lines[0]!;
    const content = JSON.parse(eventLine) as Record<string, unknown>;
    expect(content).toMatchObject({
      msgtype: 'm.video',
      body: 'holiday video.mp4',
      filename: 'holiday video.mp4',
      info: { size: 3 * 1024 * 1024 + 17, mimetype: 'video/mp4' },
      file: { v: 'org.matrix.msc4016.v3', url: expect.stringMatching(/^mxc:\/\//) },
    });
    // Not a TTY: plain progress lines, the last saying it completed.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(/^upload .*100%.*completed$/);
  });

  it('the event line comes out before the upload finishes', async () => {
    const big = await makeSampleFile(join(scratch.path, 'big.bin'), 64 * 1024 * 1024);
    const { env, stateArgs } = as(alice, 'alice-early');
    const cli = spawnCli(['upload', big, '--json', '--progress', 'json', ...stateArgs], { env });
    let stdoutAtFirstProgress = '';
    cli.child.stdout!.on('data', (chunk: Buffer) => (stdoutAtFirstProgress += chunk.toString('utf8')));
    await cli.waitForLine((line) => line.includes('"status":"uploading"'));
    expect(stdoutAtFirstProgress).toMatch(/"msgtype":"m.file"/);
    expect((await cli.done).code).toBe(0);
  });

  it('download accepts what upload printed, and a bare file block, and prints where it saved', async () => {
    const { env, stateArgs } = as(bob, 'bob');
    const inbox = join(scratch.path, 'inbox');
    await mkdir(inbox);
    const eventFile = join(scratch.path, 'event.json');
    await writeFile(eventFile, eventLine);
    const first = await runCli(['download', '--file-json', eventFile, '--out', inbox, ...stateArgs], {
      env,
      timeoutMs: 60_000,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.toString('utf8').trim()).toBe(join(inbox, 'holiday video.mp4'));
    expect(await sha256OfFile(join(inbox, 'holiday video.mp4'))).toBe(await sha256OfFile(source));

    const bareFile = join(scratch.path, 'file-block.json');
    await writeFile(bareFile, JSON.stringify((JSON.parse(eventLine) as { file: object }).file));
    const second = await runCli(['download', '--file-json', bareFile, '--out', inbox, '--json', ...stateArgs], {
      env,
      timeoutMs: 60_000,
    });
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout.toString('utf8')) as { savedPath: string; size: number };
    // No name in a bare block: a neutral one, never clobbering.
    expect(report.savedPath).toBe(join(inbox, 'download'));
    expect(report.size).toBe(3 * 1024 * 1024 + 17);
    expect(await sha256OfFile(report.savedPath)).toBe(await sha256OfFile(source));
  });

  it('download --file-json - takes the event content on standard input, piped from upload --json as it is printed', async () => {
    // As the demo runs them: the receiver is started first and waits, as a running app waits for the room event.
    const piped = await makeSampleFile(join(scratch.path, 'piped.bin'), 32 * 1024 * 1024);
    const sender = as(alice, 'alice-piped');
    const receiver = as(bob, 'bob-piped');
    const inbox = join(scratch.path, 'piped-inbox');
    await mkdir(inbox);
    const download = spawnCli(['download', '--file-json', '-', '--out', inbox, '--json', ...receiver.stateArgs], {
      env: receiver.env,
      stdin: 'pipe',
    });
    const upload = spawnCli(['upload', piped, '--json', ...sender.stateArgs], { env: sender.env });
    const event = await new Promise<string>((resolve) =>
      createInterface({ input: upload.child.stdout! }).once('line', resolve),
    );
    download.child.stdin!.end(`${event}\n`);
    const [sent, received] = await Promise.all([upload.done, download.done]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(received.code, received.stderr).toBe(0);
    const report = JSON.parse(received.stdout.toString('utf8')) as { savedPath: string };
    expect(report.savedPath).toBe(join(inbox, 'piped.bin'));
    expect(await sha256OfFile(report.savedPath)).toBe(await sha256OfFile(piped));
  });

  it('serve-media serves a transfer over HTTP with ranges, behind a secret in its URL, and copies it with --out', async () => {
    const { env, stateArgs } = as(bob, 'bob-serve');
    const eventFile = join(scratch.path, 'serve-event.json');
    await writeFile(eventFile, eventLine);
    const out = join(scratch.path, 'served');
    await mkdir(out);
    const cli = spawnCli(['serve-media', eventFile, '--out', out, ...stateArgs], { env });
    try {
      const url = await new Promise<string>((resolve) =>
        cli.child.stdout!.on('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim())),
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\/transfer\/[\w-]+\/holiday%20video\.mp4$/);
      const response = await fetch(url, { headers: { Range: 'bytes=100-199' } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect((await response.arrayBuffer()).byteLength).toBe(100);
      // Without the secret, or under another name (a web page reaching the port by DNS rebinding): refused.
      const { origin, pathname } = new URL(url);
      const withoutSecret = `${origin}/${pathname.split('/').slice(2).join('/')}`;
      expect((await fetch(withoutSecret)).status).toBe(404);
      expect((await rawStatus(url, 'attacker.example')).toString()).toBe('421');
      await expect.poll(() => readdir(out), { timeout: 30_000 }).toEqual(['holiday video.mp4']);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.done).code).toBe(0);
    expect(await sha256OfFile(join(out, 'holiday video.mp4'))).toBe(await sha256OfFile(source));
  });

  it('serve-media keeps what it fetched in its state directory and reuses it: nothing lands where it runs', async () => {
    const { env, stateArgs } = as(bob, 'bob-serve-twice');
    const eventFile = join(scratch.path, 'serve-twice.json');
    await writeFile(eventFile, eventLine);
    const here = join(scratch.path, 'where-it-runs');
    await mkdir(here);
    const served: string[] = [];
    for (let run = 0; run < 2; run++) {
      const cli = spawnCli(['serve-media', eventFile, ...stateArgs], { env, cwd: here });
      try {
        const url = await new Promise<string>((resolve) =>
          cli.child.stdout!.on('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim())),
        );
        served.push(new URL(url).pathname.split('/')[3]!);
        expect((await fetch(url)).status).toBe(200);
      } finally {
        cli.child.kill('SIGTERM');
      }
      expect((await cli.done).code).toBe(0);
    }
    expect(await readdir(here)).toEqual([]);
    // The second run served the same transfer, already complete, rather than fetching the file again.
    expect(served[1]).toBe(served[0]);
    expect(
      (await readdir(join(scratch.path, 'bob-serve-twice', 'media'))).filter((name) => !name.startsWith('.')),
    ).toEqual(['holiday video.mp4']);
  });

  it.each([
    [['upload'], 2, /upload takes exactly one <file>/],
    [['upload', 'x.bin', '--token', 't'], 2, /--token needs --homeserver <url> beside it/],
    [
      ['upload', 'x.bin', '--homeserver', 'ftp://x', '--token', 't'],
      2,
      /--homeserver: Homeservers are reached over https, not ftp/,
    ],
    // A token never crosses a network in the clear: plain http only on this machine.
    [['upload', 'x.bin', '--homeserver', 'http://matrix.example.org', '--token', 't'], 2, /over https only/],
    [
      ['upload', 'x.bin', '--homeserver', 'http://127.0.0.1:9', '--token', 't', '--format', 'v9'],
      2,
      /--format must be v3 or v2/,
    ],
    [['download', '--homeserver', 'http://127.0.0.1:9', '--token', 't', '--out', '.'], 2, /needs --file-json/],
    [
      ['upload', '/no/such/file', '--homeserver', 'http://127.0.0.1:9', '--token', 't'],
      1,
      /cannot read \/no\/such\/file.*does not exist \[SOURCE_UNREADABLE\]/,
    ],
  ])('slipstream %j exits %i with one plain line', async (args, code, message) => {
    const result = await runCli([...args, '--state-dir', join(scratch.path, 'errors')], {
      env: { ...process.env, SLIPSTREAM_ACCESS_TOKEN: '' },
    });
    expect(result.code).toBe(code);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^slipstream: /);
    expect(lines[0]).toMatch(message);
  });

  it('download refuses a file that is not an event, and leaves nothing behind', async () => {
    const bad = join(scratch.path, 'bad.json');
    await writeFile(bad, '{"msgtype": "m.text", "body": "hello"}');
    const out = join(scratch.path, 'nothing');
    await mkdir(out);
    const result = await runCli([
      'download',
      '--file-json',
      bad,
      '--out',
      out,
      '--homeserver',
      stack.baseUrl,
      '--token',
      't',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not an event content or a file block: unsupported encrypted file version none/);
    expect(await readdir(out)).toEqual([]);
  });
});

/** The status of a GET of `url` sent with another Host header (fetch will not set one). */
function rawStatus(url: string, host: string): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path: pathname, headers: { Host: host } }, (incoming) => {
      incoming.resume();
      resolve(incoming.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
