import { execFileSync } from 'node:child_process';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingFile } from '../main/core/transfer/transfer-engine.js';
import { type FrameTamper, startMediaProxy } from './support/media-proxy.js';
import {
  freshInbox,
  makeSampleFile,
  openTestEngine,
  receiveAsBob,
  sendOverSlowLink,
  useTransferPair,
} from './support/transfer.js';

/*
 * Failures end a transfer in a failed state with the right reason, and the file never gets its final
 * name: a proxy between the receiving engine and the server rewrites the ciphertext as an attacker or
 * a broken middlebox would; a sender's file changes while it is being sent.
 */

const MiB = 1024 * 1024;

describe('a transfer fails closed', () => {
  const pair = useTransferPair('failures');
  let sent: OutgoingFile;

  beforeAll(async () => {
    const source = await makeSampleFile(join(pair.scratch.path, 'target.bin'), 2 * MiB + 1000);
    sent = await pair.sender.send(source, { homeserverUrl: pair.stack.baseUrl, accessToken: pair.alice.accessToken });
    expect((await pair.sender.settled(sent.transferId)).status).toBe('completed');
  });

  async function receiveThrough(tamper: FrameTamper | undefined, event: unknown = sent.content) {
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, ...(tamper && { tamper }) });
    const inbox = await freshInbox(pair, 'inbox');
    try {
      const id = await pair.receiver.receive({
        event,
        homeserverUrl: proxy.url,
        accessToken: pair.bob.accessToken,
        destinationDir: inbox,
      });
      const final = await pair.receiver.settled(id);
      return { final, left: await readdir(inbox) };
    } finally {
      await proxy.close();
    }
  }

  it.each([
    ['a flipped ciphertext byte is corruption', { kind: 'flip', frame: 3, byte: 100, fixCrc: false }, 'CRC_MISMATCH'],
    [
      'a flipped byte with its CRC recomputed is tampering',
      { kind: 'flip', frame: 3, byte: 100, fixCrc: true },
      'TAMPERED_BLOCK',
    ],
    ['a dropped block', { kind: 'drop', frame: 2 }, 'OUT_OF_ORDER_BLOCK'],
    ['a repeated block', { kind: 'repeat', frame: 2 }, 'OUT_OF_ORDER_BLOCK'],
    ['a stream cut cleanly at a block boundary', { kind: 'cutAfter', frame: 5 }, 'TRUNCATED'],
  ] as const)('%s fails the receive as %s, with no file left', async (_name, tamper, code) => {
    const { final, left } = await receiveThrough(tamper);
    expect(final.status).toBe('failed');
    expect(final.failure?.code).toBe(code);
    expect(final.failure?.message.length).toBeGreaterThan(10);
    expect(final.savedPath).toBeUndefined();
    expect(left).toEqual([]);
  });

  it('a wrong key fails as tampering, with no file left', async () => {
    const key = { ...sent.content.file.key, k: Buffer.alloc(32, 7).toString('base64url') };
    const { final, left } = await receiveThrough(undefined, { ...sent.content, file: { ...sent.content.file, key } });
    expect(final.failure?.code).toBe('TAMPERED_BLOCK');
    expect(left).toEqual([]);
  });

  it('an event that names missing media fails as unavailable', async () => {
    const file = { ...sent.content.file, url: `mxc://${pair.stack.serverName}/NoSuchMediaIdHere` };
    const { final, left } = await receiveThrough(undefined, { ...sent.content, file });
    expect(final.failure?.code).toBe('MEDIA_UNAVAILABLE');
    expect(left).toEqual([]);
  });

  it('a source file modified during its upload stops the send, and its readers, without re-encrypting anything', async () => {
    const path = await makeSampleFile(join(pair.scratch.path, 'changing.bin'), 64 * MiB);
    const inbox = await freshInbox(pair, 'inbox-changing');
    const { proxy: slow, outgoing } = await sendOverSlowLink(pair, path, 16 * MiB);
    try {
      const receiveId = await receiveAsBob(pair, outgoing.content, inbox);
      while (pair.sender.snapshot(outgoing.transferId).bytesDone < 8 * MiB) await new Promise((r) => setTimeout(r, 20));
      const handle = await open(path, 'r+');
      await handle.write(Buffer.from('edited while uploading'), 0, 22, 40 * MiB);
      await handle.close();

      const sendFinal = await pair.sender.settled(outgoing.transferId);
      expect(sendFinal.status).toBe('failed');
      expect(sendFinal.failure?.code).toBe('SOURCE_CHANGED');
      expect(sendFinal.failure?.message).toMatch(/changed after its transfer began/);
      // The upload was terminated: its reader fails instead of waiting for bytes that will never come.
      const receiveFinal = await pair.receiver.settled(receiveId);
      expect(receiveFinal.status).toBe('failed');
      expect(receiveFinal.failure?.code).toBe('MEDIA_UNAVAILABLE');
      expect(await readdir(inbox)).toEqual([]);
      // Every PATCH started where the last one ended: no byte range was encrypted and sent twice.
      const patches = slow.patches.filter((patch) => patch.bytes > 0);
      for (let index = 1; index < patches.length; index++) {
        expect(patches[index]!.offset).toBeGreaterThanOrEqual(patches[index - 1]!.offset + patches[index - 1]!.bytes);
      }
    } finally {
      await slow.close();
    }
  });

  it('a server that goes away fails the receive as a network failure after its retries, with no file left', async () => {
    const proxy = await startMediaProxy({ upstream: pair.stack.baseUrl, downloadBytesPerSecond: 512 * 1024 });
    const inbox = await freshInbox(pair, 'inbox-gone');
    const engine = await openTestEngine(join(pair.scratch.path, 'gone-receiver'), {
      retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 100 },
    });
    try {
      const id = await engine.receive({
        event: sent.content,
        homeserverUrl: proxy.url,
        accessToken: pair.bob.accessToken,
        destinationDir: inbox,
      });
      while (engine.snapshot(id).bytesDone === 0) await new Promise((r) => setTimeout(r, 10));
      await proxy.close();
      const final = await engine.settled(id);
      expect(final.status).toBe('failed');
      expect(final.failure?.code).toBe('NETWORK');
      expect(final.failure?.message).toMatch(/gave up after 3 attempts/);
      expect(await readdir(inbox)).toEqual([]);
    } finally {
      await engine.close();
      await proxy.close();
    }
  });

  it.runIf(process.getuid?.() === 0)('a full disk fails the receive as DISK_FULL, with no file left', async () => {
    // A 1 MiB file system for a 2 MiB file (mounting needs root, which CI has).
    const small = join(pair.scratch.path, 'small-disk');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      const id = await receiveAsBob(pair, sent.content, small);
      const final = await pair.receiver.settled(id);
      expect(final.status).toBe('failed');
      expect(final.failure?.code).toBe('DISK_FULL');
      expect(final.failure?.message).toMatch(/the disk is full/);
      expect(await readdir(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
