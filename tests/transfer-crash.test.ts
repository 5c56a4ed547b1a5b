import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, type RunningCli } from './support/cli.js';
import { type MediaProxy, type PatchRecord, startMediaProxy } from './support/media-proxy.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from './support/stack.js';
import { makeSampleFile, scratchDirectory, sha256OfFile } from './support/transfer.js';

/*
 * Resuming across crashes, with the CLI in child processes killed with SIGKILL (no chance to save
 * anything on the way out): the same command run again picks the transfer up where the server (for
 * uploads) or the last checkpoint (for downloads) says, and the result is byte for byte the file.
 */

const MiB = 1024 * 1024;
const SIZE = 96 * MiB;
/**
 * The most a resumed upload may send again: what was in flight (socket buffers, the proxies') when
 * the sender died. The engine sends one PATCH per attempt and the server keeps and acknowledges
 * whatever part of it arrived, so nothing the server received is ever sent twice (0.04–0.08 MiB were).
 */
const IN_FLIGHT = 4 * MiB;

describe('crash and resume', () => {
  let stack: StackInfo;
  let alice: MatrixUser;
  let bob: MatrixUser;
  let scratch: Awaited<ReturnType<typeof scratchDirectory>>;
  let proxy: MediaProxy;

  beforeAll(async () => {
    stack = await ensureStack();
    [alice, bob] = await Promise.all([registerUser(stack), registerUser(stack)]);
    scratch = await scratchDirectory('crash');
    proxy = await startMediaProxy({ upstream: stack.baseUrl });
  });

  afterAll(async () => {
    await proxy?.close();
    await scratch?.remove();
  });

  function transferCli(args: string[], stateDir: string, token: string): RunningCli {
    return spawnCli([...args, '--homeserver', proxy.url, '--state-dir', stateDir, '--progress', 'json'], {
      env: { ...process.env, SLIPSTREAM_ACCESS_TOKEN: token },
    });
  }

  /** Resolves once the CLI reports at least `bytes` done. */
  function reached(cli: RunningCli, bytes: number): Promise<string> {
    return cli.waitForLine((line) => {
      try {
        return (JSON.parse(line) as { bytesDone?: number }).bytesDone! >= bytes;
      } catch {
        return false;
      }
    });
  }

  async function killAt(cli: RunningCli, fraction: number): Promise<void> {
    await reached(cli, SIZE * fraction);
    cli.child.kill('SIGKILL');
    expect((await cli.done).code).toBe(137);
  }

  /** The highest ciphertext offset any PATCH got to, among `patches`. */
  const sentUpTo = (patches: readonly PatchRecord[]): number =>
    Math.max(0, ...patches.map((patch) => patch.offset + patch.bytes));

  it(
    'an upload killed at 20 %, 50 % and 80 % resumes the same media ID and re-sends only what was in flight each time',
    { timeout: 240_000 },
    async () => {
      const source = await makeSampleFile(join(scratch.path, 'upload.bin'), SIZE);
      const state = join(scratch.path, 'alice-state');
      proxy.options.uploadBytesPerSecond = 24 * MiB;
      const contentUris = new Set<string>();
      let lastEvent: object = {};
      /** Where each run's PATCHes start in the proxy's log. */
      const runStarts: number[] = [];
      for (const fraction of [0.2, 0.5, 0.8, undefined]) {
        runStarts.push(proxy.patches.length);
        const cli = transferCli(['upload', source, '--json'], state, alice.accessToken);
        if (fraction !== undefined) await killAt(cli, fraction);
        else expect((await cli.done).code, (await cli.done).stderr).toBe(0);
        const result = await cli.done;
        const event = JSON.parse(result.stdout.toString('utf8').split('\n')[0]!) as { file: { url: string } };
        contentUris.add(event.file.url);
        lastEvent = event;
      }
      proxy.options.uploadBytesPerSecond = undefined;
      // Sent again by run k: everything earlier runs had sent past the offset run k resumed from.
      const resent = runStarts.slice(1).map((start) => {
        const earlier = proxy.patches.slice(runStarts[0], start);
        const firstOfRun = proxy.patches.slice(start).find((patch) => patch.bytes > 0);
        return sentUpTo(earlier) - (firstOfRun?.offset ?? sentUpTo(earlier));
      });
      console.log(
        `bytes sent again after each resume: ${resent.map((bytes) => `${(bytes / MiB).toFixed(2)} MiB`).join(', ')}`,
      );
      expect(contentUris.size).toBe(1);
      expect(resent.length).toBe(3);
      for (const bytes of resent) {
        expect(bytes).toBeGreaterThanOrEqual(0);
        expect(bytes).toBeLessThanOrEqual(IN_FLIGHT);
      }

      // Bob downloads what the resumed runs uploaded and gets exactly the file.
      const inbox = join(scratch.path, 'inbox-upload');
      await mkdir(inbox);
      const eventFile = join(scratch.path, 'upload-event.json');
      await writeFile(eventFile, JSON.stringify(lastEvent));
      const download = await transferCli(
        ['download', '--file-json', eventFile, '--out', inbox, '--json'],
        join(scratch.path, 'bob-state-1'),
        bob.accessToken,
      ).done;
      expect(download.code, download.stderr).toBe(0);
      expect(await sha256OfFile(join(inbox, 'upload.bin'))).toBe(await sha256OfFile(source));
    },
  );

  it(
    'an upload whose file changed while the sender was down fails with the reason, before sending a byte',
    { timeout: 120_000 },
    async () => {
      const source = await makeSampleFile(join(scratch.path, 'edited.bin'), SIZE);
      const state = join(scratch.path, 'alice-state-edited');
      proxy.options.uploadBytesPerSecond = 24 * MiB;
      let firstUri: string;
      try {
        const first = transferCli(['upload', source, '--json'], state, alice.accessToken);
        await killAt(first, 0.3);
        firstUri = (JSON.parse((await first.done).stdout.toString('utf8').split('\n')[0]!) as { file: { url: string } })
          .file.url;
      } finally {
        proxy.options.uploadBytesPerSecond = undefined;
      }
      const handle = await open(source, 'r+');
      await handle.write(Buffer.from('changed'), 0, 7, 1000);
      await handle.close();

      const patchesBefore = proxy.patches.length;
      const refused = await transferCli(['upload', source, '--json'], state, alice.accessToken).done;
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/changed after its transfer began .*\[SOURCE_CHANGED\]/);
      expect(proxy.patches.slice(patchesBefore).filter((patch) => patch.bytes > 0)).toEqual([]);
      // The abandoned upload was cancelled on the server, so whoever follows it is told.
      const head = await fetch(
        `${stack.baseUrl}/_matrix/client/v1/media/download/${firstUri.slice('mxc://'.length)}?timeout_ms=0`,
        {
          method: 'HEAD',
          headers: { Authorization: `Bearer ${bob.accessToken}` },
        },
      );
      expect(head.status).toBe(404);

      // Run again: the file as it is now goes out as a new upload under a new key.
      const fresh = await transferCli(['upload', source, '--json'], state, alice.accessToken).done;
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(
        (JSON.parse(fresh.stdout.toString('utf8').split('\n')[0]!) as { file: { url: string } }).file.url,
      ).not.toBe(firstUri);
    },
  );

  it(
    'a download killed at 30 % and 60 % resumes from its checkpoint and ends identical',
    { timeout: 240_000 },
    async () => {
      const source = await makeSampleFile(join(scratch.path, 'download.bin'), SIZE);
      const upload = await transferCli(
        ['upload', source, '--json'],
        join(scratch.path, 'alice-state-2'),
        alice.accessToken,
      ).done;
      expect(upload.code, upload.stderr).toBe(0);
      const eventFile = join(scratch.path, 'download-event.json');
      await writeFile(eventFile, upload.stdout.toString('utf8').split('\n')[0]!);
      const inbox = join(scratch.path, 'inbox-download');
      await mkdir(inbox);
      const state = join(scratch.path, 'bob-state-2');
      proxy.options.downloadBytesPerSecond = 24 * MiB;
      try {
        for (const fraction of [0.3, 0.6]) {
          await killAt(
            transferCli(['download', '--file-json', eventFile, '--out', inbox], state, bob.accessToken),
            fraction,
          );
          // Only the hidden partial file exists: nothing unauthenticated is ever under the real name.
          expect(
            (await readdir(inbox)).every((name) => name.startsWith('.slipstream-') && name.endsWith('.part')),
          ).toBe(true);
        }
        const finish = await transferCli(['download', '--file-json', eventFile, '--out', inbox], state, bob.accessToken)
          .done;
        expect(finish.code, finish.stderr).toBe(0);
        expect(finish.stderr).toMatch(/resuming the interrupted download/);
        expect(finish.stdout.toString('utf8').trim()).toBe(join(inbox, 'download.bin'));
      } finally {
        proxy.options.downloadBytesPerSecond = undefined;
      }
      expect(await readdir(inbox)).toEqual(['download.bin']);
      expect(await sha256OfFile(join(inbox, 'download.bin'))).toBe(await sha256OfFile(source));
    },
  );
});
