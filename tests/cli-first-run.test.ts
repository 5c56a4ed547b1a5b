import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_USAGE } from '../cli/usage.js';
import { runCli, spawnCli } from './support/cli.js';
import { startMediaProxy } from './support/media-proxy.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from './support/stack.js';
import { makeSampleFile, scratchDirectory } from './support/transfer.js';

/*
 * The CLI as a new user meets it after the demo: signing in instead of hunting for a token, help on
 * every subcommand, a wrong address that fails at once in words, and errors that say what happened.
 */

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

describe('the CLI on a first run', () => {
  let stack: StackInfo;
  let user: MatrixUser;
  let scratch: Awaited<ReturnType<typeof scratchDirectory>>;
  let notMatrix: Server;
  let notMatrixUrl: string;

  beforeAll(async () => {
    stack = await ensureStack();
    user = await registerUser(stack);
    scratch = await scratchDirectory('cli-first-run');
    // Something that answers HTTP but is no homeserver.
    notMatrix = createServer((_incoming, outgoing) => {
      outgoing.writeHead(404, { 'Content-Type': 'text/html' });
      outgoing.end('<h1>Not here</h1>');
    });
    notMatrix.listen(0, '127.0.0.1');
    await once(notMatrix, 'listening');
    notMatrixUrl = `http://127.0.0.1:${(notMatrix.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    notMatrix?.close();
    await scratch?.remove();
  });

  const state = (name: string) => ['--state-dir', join(scratch.path, name)];
  /** A clean environment: no token from the test's own environment. */
  const env = { ...process.env, SLIPSTREAM_ACCESS_TOKEN: '' };

  it('signs in with a password, says who, transfers without --token, and signs out', async () => {
    const port = new URL(stack.baseUrl).port;
    // A server name on loopback is enough: .well-known is asked, and the name itself is the homeserver.
    const login = await runCli(
      ['login', '--homeserver', `127.0.0.1:${port}`, '--user', user.username, '--password-stdin', ...state('session')],
      {
        env,
        stdin: Buffer.from(`${user.password}\n`),
      },
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout.toString()).toMatch(
      new RegExp(
        `^signed in as ${user.userId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} on ${stack.baseUrl} \\(device \\w+\\)\\n$`,
      ),
    );
    // Sealed in the state directory, never in the clear.
    const stored = await readdir(join(scratch.path, 'session'));
    expect(stored).toContain('session.sealed');

    const who = await runCli(['whoami', ...state('session')], { env });
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout.toString()).toContain(user.userId);

    const file = await makeSampleFile(join(scratch.path, 'no-token.bin'), 100_000);
    const upload = await runCli(['upload', file, '--json', ...state('session')], { env, timeoutMs: 60_000 });
    expect(upload.code, upload.stderr).toBe(0);
    expect(JSON.parse(upload.stdout.toString())).toMatchObject({ filename: 'no-token.bin' });
    // Signed in to one homeserver, asked for another: said plainly rather than sent with the wrong token.
    const elsewhere = await runCli(['upload', file, '--homeserver', 'https://elsewhere.example', ...state('session')], {
      env,
    });
    expect(elsewhere.code).toBe(2);
    expect(lastLine(elsewhere.stderr)).toContain(
      `you are signed in to ${stack.baseUrl}, not https://elsewhere.example`,
    );

    const logout = await runCli(['logout', ...state('session')], { env });
    expect(logout.code, logout.stderr).toBe(0);
    const after = await runCli(['whoami', ...state('session')], { env });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not signed in: run `slipstream login');
    const noSession = await runCli(['upload', file, ...state('session')], { env });
    expect(noSession.code).toBe(2);
    expect(lastLine(noSession.stderr)).toContain('not signed in');
  });

  it('refuses a wrong password, an unreachable server and one that is not Matrix, in words', async () => {
    const cases: [string, RegExp][] = [
      [stack.baseUrl, /Wrong username or password\. \[M_FORBIDDEN\]/],
      ['http://127.0.0.1:1', /Cannot reach http:\/\/127\.0\.0\.1:1\. .*\[UNREACHABLE\]/],
      [
        notMatrixUrl,
        new RegExp(`${notMatrixUrl} answered, but it is not a Matrix homeserver \\(HTTP 404\\)\\. .*\\[NOT_MATRIX\\]`),
      ],
    ];
    for (const [homeserver, message] of cases) {
      const result = await runCli(
        ['login', '--homeserver', homeserver, '--user', user.username, '--password-stdin', ...state('refused')],
        {
          env,
          stdin: Buffer.from('not the password'),
        },
      );
      expect(result.code, homeserver).toBe(1);
      expect(result.stderr.trimEnd().split('\n'), homeserver).toHaveLength(1);
      expect(result.stderr, homeserver).toMatch(message);
    }
    const noTerminal = await runCli(
      ['login', '--homeserver', stack.baseUrl, '--user', user.username, ...state('refused')],
      { env },
    );
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('no terminal to ask for the password on: pipe it in with --password-stdin');
  });

  it.each(Object.keys(COMMAND_USAGE))('slipstream %s --help prints its own usage and exits 0', async (command) => {
    const result = await runCli([command, '--help'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toMatch(new RegExp(`^Usage:\\n  slipstream ${command}\\b`));
  });

  it('fails at once, naming the address, when the homeserver cannot be reached: no retries first', async () => {
    const file = await makeSampleFile(join(scratch.path, 'unreachable.bin'), 1000);
    for (const homeserver of ['http://127.0.0.1:1', 'https://no-such-host.invalid']) {
      const result = await runCli(
        ['upload', file, '--homeserver', homeserver, '--token', 't', ...state('unreachable')],
        {
          env,
          timeoutMs: 30_000,
        },
      );
      expect(result.code, homeserver).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      // It said what it was doing before it failed, even with no terminal to draw on.
      expect(lines[0]).toBe(`slipstream: uploading ${file} (1000 B) to ${homeserver}`);
      expect(lastLine(result.stderr)).toMatch(
        new RegExp(`Cannot reach ${homeserver.replace(/\./g, '\\.')}\\..*\\[UNREACHABLE\\]`),
      );
      expect(result.stderr).not.toMatch(/retry|attempt/i);
    }
  });

  it('says there is no such file for media that never existed, and names a missing folder once', async () => {
    const upload = await runCli(
      [
        'upload',
        await makeSampleFile(join(scratch.path, 'real.bin'), 5000),
        '--json',
        '--homeserver',
        stack.baseUrl,
        ...state('messages'),
      ],
      {
        env: { ...env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken },
        timeoutMs: 60_000,
      },
    );
    expect(upload.code, upload.stderr).toBe(0);
    const content = JSON.parse(upload.stdout.toString()) as { file: { url: string } };
    const [, server] = /^mxc:\/\/([^/]+)\//.exec(content.file.url)!;
    const madeUp = { ...content, file: { ...content.file, url: `mxc://${server}/NeverExistedAtAll` } };
    const inbox = join(scratch.path, 'inbox');
    await mkdir(inbox);
    const download = await runCli(
      ['download', '--file-json', '-', '--out', inbox, '--homeserver', stack.baseUrl, ...state('messages')],
      {
        env: { ...env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken },
        stdin: Buffer.from(JSON.stringify(madeUp)),
        timeoutMs: 60_000,
      },
    );
    expect(download.code).toBe(1);
    expect(lastLine(download.stderr)).toContain(
      `there is no such file on the server: mxc://${server}/NeverExistedAtAll names media it does not have [MEDIA_UNAVAILABLE]`,
    );

    const missing = join(scratch.path, 'no-such-folder');
    const toMissing = await runCli(
      ['download', '--file-json', '-', '--out', missing, '--homeserver', stack.baseUrl, ...state('messages')],
      {
        env: { ...env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken },
        stdin: upload.stdout,
      },
    );
    expect(toMissing.code).toBe(1);
    expect(lastLine(toMissing.stderr).split(missing)).toHaveLength(2);
  });

  it('shows a resumed upload starting from where it stopped, not from zero', async () => {
    const proxy = await startMediaProxy({ upstream: stack.baseUrl, uploadBytesPerSecond: 4 * 1024 * 1024 });
    try {
      const file = await makeSampleFile(join(scratch.path, 'resumed.bin'), 24 * 1024 * 1024);
      const args = ['upload', file, '--homeserver', proxy.url, '--progress', 'json', ...state('resume')];
      const options = { env: { ...env, SLIPSTREAM_ACCESS_TOKEN: user.accessToken } };
      const first = spawnCli(args, options);
      await first.waitForLine(
        (line) => line.startsWith('{') && (JSON.parse(line) as { bytesDone: number }).bytesDone > 6 * 1024 * 1024,
        60_000,
      );
      first.child.kill('SIGINT');
      expect((await first.done).code).toBe(130);
      proxy.options.uploadBytesPerSecond = undefined;
      const second = await runCli(args, { ...options, timeoutMs: 60_000 });
      expect(second.code, second.stderr).toBe(0);
      const updates = second.stderr
        .trimEnd()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { bytesDone: number; status: string });
      expect(updates[0]!.bytesDone).toBeGreaterThan(4 * 1024 * 1024);
      expect(updates.at(-1)!.status).toBe('completed');
    } finally {
      await proxy.close();
    }
  });

  it('says what an option wants when its value starts with a dash', async () => {
    const result = await runCli(['decrypt', 'in', 'out', '--info', 'i.json', '--expect-size', '-5'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('slipstream: --expect-size wants a whole number of bytes, not "-5"\n');
  });

  it('npm run stack -- user add prints how to sign in (and a token with --token); clean asks, or takes --yes', async () => {
    const added = await runStackCommand(['user', 'add', '--token']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/registered @[\w-]+:\S+; sign in/);
    expect(added.stdout).toMatch(/username {4}[\w-]+\n {2}password {4}\S+\n {2}token {7}\S+/);

    // clean on a stack of its own, so the one the other tests use is left alone.
    const stackDir = join(scratch.path, 'own-stack');
    await mkdir(join(stackDir, 'synapse', 'media_store'), { recursive: true });
    await writeFile(join(stackDir, 'synapse', 'media_store', 'old-media'), Buffer.alloc(1024));
    await mkdir(join(stackDir, 'media-server', 'data'), { recursive: true });
    const withoutYes = await runStackCommand(['clean'], { SLIPSTREAM_STACK_DIR: stackDir });
    expect(withoutYes.code).toBe(2);
    expect(withoutYes.stderr).toContain('run it with --yes to confirm');
    expect(await readdir(stackDir)).toEqual(expect.arrayContaining(['synapse', 'media-server']));
    const cleaned = await runStackCommand(['clean', '--yes'], { SLIPSTREAM_STACK_DIR: stackDir });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await readdir(stackDir)).not.toContain('synapse');
    expect(await readdir(stackDir)).not.toContain('media-server');

    const help = await runStackCommand(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['up', 'down', 'status', 'user add', 'clean']) expect(help.stdout).toContain(`  ${command}`);
  });
});

/** `npm run stack -- <args>` as a user runs it (through tsx, as package.json's script does). */
function runStackCommand(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/stack/main.ts', ...args],
      { env: { ...process.env, ...extraEnv }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
