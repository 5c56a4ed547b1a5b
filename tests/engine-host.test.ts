import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invokeNames } from '../shared/ipc/contract-kit.js';
import { appContract, type AppEventPayload } from '../shared/ipc-contract.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { FORWARDED_CHANNELS, MAIN_ONLY_CHANNELS } from '../main/core/engine-host/engine-host-contract.js';
import { EngineHostSupervisor, forwardingHandlers } from '../main/core/engine-host/engine-host-supervisor.js';
import { createMediaRelay } from '../main/core/engine-host/media-endpoint.js';
import { forkEngineHost, testPlatform } from './support/engine-host.js';
import { startMediaProxy, type MediaProxy } from './support/media-proxy.js';
import { ensureStack, type MatrixUser, registerUser, type StackInfo } from './support/stack.js';
import { makeSampleFile, scratchDirectory, sha256OfFile } from './support/transfer.js';

/*
 * The desktop app's engine process, as Electron runs it: its own process with the engine's V8 options,
 * reached by main over a message channel with the app contract, asking main for the keychain and the
 * shell, and serving decrypted media to main's scheme handler over loopback behind a secret. Here the
 * process is a Node fork rather than Electron's utilityProcess; everything it runs is the same.
 */

interface Harness {
  readonly directory: string;
  readonly supervisor: EngineHostSupervisor;
  readonly main: ReturnType<typeof forwardingHandlers>;
  readonly updates: TransferUpdate[];
  readonly platformCalls: string[];
  readonly pids: number[];
  settled(id: string): Promise<TransferUpdate>;
  /** What main does when the person picks files in a dialog or drops them: the engine may now send them. */
  choose(...paths: string[]): Promise<void>;
  /** What main does when the person picks a folder to save into. */
  chooseFolder(path: string): Promise<void>;
}

describe('the engine host process', () => {
  let stack: StackInfo;
  let user: MatrixUser;
  let scratch: { path: string; remove(): Promise<void> };
  const harnesses: Harness[] = [];
  let proxy: MediaProxy | undefined;

  beforeAll(async () => {
    stack = await ensureStack();
    user = await registerUser(stack);
    scratch = await scratchDirectory('engine-host');
  });

  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.supervisor.stop();
    await proxy?.close();
    proxy = undefined;
  });

  afterAll(() => scratch?.remove());

  async function startHarness(name: string): Promise<Harness> {
    const directory = join(scratch.path, name);
    await mkdir(join(directory, 'Downloads'), { recursive: true });
    const updates: TransferUpdate[] = [];
    const platformCalls: string[] = [];
    const pids: number[] = [];
    const supervisor = new EngineHostSupervisor({
      spawn: () => {
        const child = forkEngineHost(join(directory, 'data'), (line) => console.error(line));
        pids.push(child.pid());
        return child;
      },
      platform: testPlatform(directory, platformCalls),
      onEvent: (event, payload) => {
        if (event === 'transferUpdated') updates.push(payload as AppEventPayload<'transferUpdated'>);
      },
      log: (line) => console.error(`supervisor: ${line}`),
    });
    supervisor.start();
    const harness: Harness = {
      directory,
      supervisor,
      main: forwardingHandlers(() => supervisor.api()),
      updates,
      platformCalls,
      pids,
      chooseFolder: async (path) => void (await supervisor.api().grantPaths({ paths: [path], use: 'save' })),
      choose: async (...paths) => void (await supervisor.api().grantPaths({ paths, use: 'send' })),
      settled: async (id) => {
        await expect
          .poll(() => updates.filter((update) => update.id === id).at(-1)?.status, { timeout: 60_000, interval: 50 })
          .toMatch(/^(completed|failed|cancelled)$/);
        return updates.filter((update) => update.id === id).at(-1)!;
      },
    };
    harnesses.push(harness);
    return harness;
  }

  const signIn = (harness: Harness, homeserverUrl = stack.baseUrl) =>
    harness.main.saveSession({
      homeserverUrl,
      userId: user.userId,
      deviceId: 'TESTDEVICE',
      accessToken: user.accessToken,
    });

  it('answers every app channel but those only main can (the dialogs, files handed from outside)', async () => {
    const all = new Set(invokeNames(appContract));
    expect(new Set([...FORWARDED_CHANNELS, ...MAIN_ONLY_CHANNELS])).toEqual(all);
    expect(FORWARDED_CHANNELS.filter((name) => (MAIN_ONLY_CHANNELS as readonly string[]).includes(name))).toEqual([]);
    const harness = await startHarness('channels');
    const info = await harness.main.appInfo(undefined);
    expect(info).toMatchObject({
      host: 'electron',
      mediaBaseUrl: 'slipstream-media://transfer/',
      fileChooser: 'native',
    });
    expect(info.secretStorage).toBe('the test keychain');
    await expect(harness.main.pauseTransfer({ id: 'Qb3k2m9x1LpZ' })).rejects.toMatchObject({
      code: 'NO_SUCH_TRANSFER',
    });
  });

  it("keeps the session sealed by main's keychain, never in the clear", async () => {
    const harness = await startHarness('session');
    await signIn(harness);
    expect(harness.platformCalls).toContain('sealSecret');
    const onDisk = await readFile(join(harness.directory, 'data', 'session.sealed'), 'utf8');
    expect(onDisk).not.toContain(user.accessToken);
    expect(await harness.main.loadSession(undefined)).toMatchObject({
      userId: user.userId,
      accessToken: user.accessToken,
    });
  });

  it('sends and receives through the stack, pushing updates to main, and opens only what it saved', async () => {
    const harness = await startHarness('round-trip');
    await signIn(harness);
    const source = join(harness.directory, 'scene.glb');
    await makeSampleFile(source, 6 * 1024 * 1024 + 5);
    // A path the person did not choose (a compromised page asking for ~/.ssh, say) is refused.
    await expect(harness.main.sendFile({ source: { kind: 'path', path: source } })).rejects.toMatchObject({
      code: 'PATH_REFUSED',
    });
    await harness.choose(source);
    const sent = await harness.main.sendFile({
      source: { kind: 'path', path: source },
      roomId: '!room:localhost',
      format: 'v3',
    });
    expect(sent.content.file.url).toMatch(/^mxc:\/\//);
    expect(sent.content.info.size).toBe(6 * 1024 * 1024 + 5);
    expect((await harness.settled(sent.transferId)).status).toBe('completed');
    expect(harness.updates.some((update) => update.id === sent.transferId && update.roomId === '!room:localhost')).toBe(
      true,
    );

    // Asked for twice at once (a double click), it is one transfer.
    const [received, again] = (await Promise.all(
      [0, 1].map(() =>
        harness.main.receiveFile({
          content: sent.content as unknown as Record<string, unknown>,
          roomId: '!room:localhost',
          eventId: '$scene',
        }),
      ),
    )) as [{ transferId: string }, { transferId: string }];
    expect(again).toEqual(received);
    const final = await harness.settled(received.transferId);
    expect(final).toMatchObject({ status: 'completed', eventId: '$scene', direction: 'receive' });
    expect(await sha256OfFile(final.savedPath!)).toBe(await sha256OfFile(source));
    // The same event asked for again is the same transfer, not a second download.
    expect(
      await harness.main.receiveFile({
        content: sent.content as unknown as Record<string, unknown>,
        roomId: '!room:localhost',
        eventId: '$scene',
      }),
    ).toEqual(received);

    await harness.main.openTransfer({ id: received.transferId });
    await harness.main.showTransferInFolder({ id: received.transferId });
    expect(harness.platformCalls).toContain(`openPath ${final.savedPath}`);
    expect(harness.platformCalls).toContain(`showItemInFolder ${final.savedPath}`);
    await expect(harness.main.openTransfer({ id: sent.transferId })).rejects.toMatchObject({ code: 'WRONG_STATE' });
    await expect(
      harness.main.sendFile({ source: { kind: 'path', path: join(harness.directory, 'data', 'session.sealed') } }),
    ).rejects.toMatchObject({ code: 'PATH_REFUSED' });
  });

  it("serves decrypted ranges to main's media scheme through the secret-guarded loopback endpoint", async () => {
    const harness = await startHarness('media');
    await signIn(harness);
    const source = join(harness.directory, 'clip.mp4');
    await makeSampleFile(source, 3 * 1024 * 1024);
    await harness.choose(source);
    const sent = await harness.main.sendFile({ source: { kind: 'path', path: source }, format: 'v3' });
    await harness.settled(sent.transferId);
    await expect.poll(() => harness.supervisor.mediaEndpoint()).toBeDefined();
    const relay = createMediaRelay(() => harness.supervisor.mediaEndpoint());

    const answer = await relay(
      new Request(`slipstream-media://transfer/${sent.transferId}/clip.mp4`, {
        headers: { Range: 'bytes=1000000-1000099' },
      }),
    );
    expect(answer.status).toBe(206);
    expect(answer.headers.get('content-range')).toBe(`bytes 1000000-1000099/${3 * 1024 * 1024}`);
    expect(answer.headers.get('content-type')).toBe('video/mp4');
    const expected = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      createReadStream(source, { start: 1000000, end: 1000099 })
        .on('data', (chunk) => chunks.push(chunk as Buffer))
        .on('end', () => resolve(Buffer.concat(chunks)));
    });
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(expected);
    // Only the renderer's origin may read media across origins (a canvas, a fetch), and only when main says so.
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const forPage = createMediaRelay(() => harness.supervisor.mediaEndpoint(), fetch, 'slipstream-app://renderer');
    const shared = await forPage(new Request(`slipstream-media://transfer/${sent.transferId}/clip.mp4`));
    expect(shared.headers.get('access-control-allow-origin')).toBe('slipstream-app://renderer');
    expect(Buffer.from(await shared.arrayBuffer()).length).toBe(3 * 1024 * 1024);

    const endpoint = harness.supervisor.mediaEndpoint()!;
    const direct = `${endpoint.url}/transfer/${sent.transferId}/clip.mp4`;
    expect((await fetch(direct)).status).toBe(401);
    expect((await fetch(direct, { headers: { Authorization: 'Bearer not-the-secret' } })).status).toBe(401);
    expect((await relay(new Request('slipstream-media://transfer/Qb3k2m9x1LpZ/x.mp4'))).status).toBe(404);
  });

  it("keeps each account's transfers to itself, saves only where the person chose, and never starts a received program", async () => {
    const harness = await startHarness('accounts');
    await signIn(harness);
    const source = join(harness.directory, 'install.sh');
    await makeSampleFile(source, 4096);
    await harness.choose(source);
    const sent = await harness.main.sendFile({ source: { kind: 'path', path: source }, format: 'v3' });
    await harness.settled(sent.transferId);
    const received = await harness.main.receiveFile({
      content: sent.content as unknown as Record<string, unknown>,
      roomId: '!room:localhost',
      eventId: '$script',
    });
    await harness.settled(received.transferId);
    await expect(harness.main.openTransfer({ id: received.transferId })).rejects.toMatchObject({
      code: 'UNSAFE_TO_OPEN',
    });
    await harness.main.showTransferInFolder({ id: received.transferId });

    // A folder nobody chose cannot become the download folder; a chosen one can.
    const elsewhere = join(harness.directory, 'elsewhere');
    await mkdir(elsewhere);
    await expect(harness.main.updateSettings({ downloadFolder: elsewhere })).rejects.toMatchObject({
      code: 'PATH_REFUSED',
    });
    await harness.chooseFolder(elsewhere);
    expect((await harness.main.updateSettings({ downloadFolder: elsewhere })).downloadFolder).toBe(elsewhere);

    // Another account on the same homeserver sees none of the first one's transfers.
    const other = await registerUser(stack);
    await harness.main.saveSession({
      homeserverUrl: stack.baseUrl,
      userId: other.userId,
      deviceId: 'OTHER',
      accessToken: other.accessToken,
    });
    expect(await harness.main.listTransfers(undefined)).toEqual([]);
    await expect(harness.main.forgetTransfer({ id: sent.transferId })).rejects.toMatchObject({
      code: 'NO_SUCH_TRANSFER',
    });
    await signIn(harness);
    expect((await harness.main.listTransfers(undefined)).map((update) => update.id).sort()).toEqual(
      [sent.transferId, received.transferId].sort(),
    );
  });

  it('is started again when it crashes, and its upload resumes without anyone asking', async () => {
    proxy = await startMediaProxy({ upstream: stack.baseUrl, uploadBytesPerSecond: 8 * 1024 * 1024 });
    const harness = await startHarness('crash');
    await signIn(harness, proxy.url);
    const source = join(harness.directory, 'recording.mkv');
    await makeSampleFile(source, 48 * 1024 * 1024);
    await harness.choose(source);
    const sent = await harness.main.sendFile({ source: { kind: 'path', path: source }, format: 'v3' });
    await expect
      .poll(() => harness.updates.filter((update) => update.id === sent.transferId).at(-1)?.bytesDone ?? 0, {
        timeout: 30_000,
      })
      .toBeGreaterThan(8 * 1024 * 1024);
    process.kill(harness.pids[0]!, 'SIGKILL');
    await expect.poll(() => harness.pids.length, { timeout: 15_000 }).toBe(2);

    const final = await harness.settled(sent.transferId);
    expect(final.status).toBe('completed');
    const received = await harness.main.receiveFile({
      content: sent.content as unknown as Record<string, unknown>,
      roomId: '!room:localhost',
      eventId: '$recording',
    });
    const saved = await harness.settled(received.transferId);
    expect(await sha256OfFile(saved.savedPath!)).toBe(await sha256OfFile(source));
  });
});
