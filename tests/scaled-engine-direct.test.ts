import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferEngine } from '../main/core/transfer/transfer-engine.js';
import { s3Client } from '../scripts/stack/scaled/seaweedfs.js';
import { SERVER_NAME, startFakeHomeserver, TOKENS, type FakeHomeserver } from '../server/testing/harness.js';
import { startObjectStoreInstance, type MediaInstance } from './support/scaled-media.js';
import { startScaledServices, type ScaledServices } from './support/scaled-services.js';
import { makeSampleFile, openTestEngine, scratchDirectory, sha256OfFile } from './support/transfer.js';

/*
 * The engine's side of MSC3870: where /create offers an upload_url and the transfer has no streaming
 * readers to serve (a v2 file, which nothing can read before its last byte, or a send that asks for
 * it), the ciphertext goes straight into the object store; otherwise through the media server, where
 * readers follow it. Both arrive identical at a receiving engine.
 */

let services: ScaledServices;
let homeserver: FakeHomeserver;
let media: MediaInstance;
let scratch: { path: string; remove(): Promise<void> };
let sender: TransferEngine;
let receiver: TransferEngine;

beforeAll(async () => {
  services = await startScaledServices();
  homeserver = await startFakeHomeserver();
  media = await startObjectStoreInstance(services, homeserver);
  scratch = await scratchDirectory('engine-direct');
  sender = await openTestEngine(join(scratch.path, 'sender'));
  receiver = await openTestEngine(join(scratch.path, 'receiver'));
}, 180_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
  await scratch?.remove();
  await media?.close();
  await homeserver?.close();
  await services?.stop();
}, 60_000);

async function objectNamesOf(contentUri: string): Promise<string[]> {
  const mediaId = contentUri.split('/').pop()!;
  const client = s3Client(services.seaweed);
  try {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: services.bucket, Prefix: `${SERVER_NAME}/${mediaId}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key!.split('/').pop()!);
  } finally {
    client.destroy();
  }
}

async function sendAndReceive(
  name: string,
  size: number,
  options: { format: 'v2' | 'v3'; preferDirectUpload?: boolean },
) {
  const source = await makeSampleFile(join(scratch.path, name), size);
  const outgoing = await sender.send(source, {
    homeserverUrl: media.url,
    accessToken: TOKENS.alice,
    ...options,
  });
  const inbox = join(scratch.path, `inbox-${name}`);
  await mkdir(inbox);
  const receiveId = await receiver.receive({
    event: outgoing.content,
    homeserverUrl: media.url,
    accessToken: TOKENS.bob,
    destinationDir: inbox,
  });
  const [sent, received] = await Promise.all([sender.settled(outgoing.transferId), receiver.settled(receiveId)]);
  expect(sent.status, JSON.stringify(sent.failure)).toBe('completed');
  expect(received.status, JSON.stringify(received.failure)).toBe('completed');
  expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
  return { url: outgoing.content.file.url as string };
}

describe('the engine and MSC3870 upload_url', () => {
  it('a v2 file goes straight into the object store (one object, no parts) and arrives identical', async () => {
    const { url } = await sendAndReceive('v2.bin', 3 * 1024 * 1024 + 17, { format: 'v2' });
    expect(await objectNamesOf(url)).toEqual(['direct']);
  });

  it('a v3 send that asks for it goes straight into the store too', async () => {
    const { url } = await sendAndReceive('v3-direct.bin', 2 * 1024 * 1024 + 5, {
      format: 'v3',
      preferDirectUpload: true,
    });
    expect(await objectNamesOf(url)).toEqual(['direct']);
  });

  it('an upload_url that expired before the upload ran falls back to the media server and completes', async () => {
    const shortLived = await startObjectStoreInstance(services, homeserver, {
      storage: { directUploads: { enabled: true, urlExpiresInSeconds: 1 } },
    });
    try {
      const source = await makeSampleFile(join(scratch.path, 'late.bin'), 20 * 1024 * 1024);
      const outgoing = await sender.send(source, {
        homeserverUrl: shortLived.url,
        accessToken: TOKENS.alice,
        format: 'v2',
      });
      // Held back until the URL has expired: the direct PUT is refused (403) when it runs.
      await sender.pause(outgoing.transferId);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      sender.resume(outgoing.transferId);
      const sent = await sender.settled(outgoing.transferId);
      expect(sent.status, JSON.stringify(sent.failure)).toBe('completed');
      const names = await objectNamesOf(outgoing.content.file.url as string);
      expect(names.length).toBeGreaterThan(0);
      expect(names).not.toContain('direct');
      const inbox = join(scratch.path, 'inbox-late');
      await mkdir(inbox);
      const receiveId = await receiver.receive({
        event: outgoing.content,
        homeserverUrl: shortLived.url,
        accessToken: TOKENS.bob,
        destinationDir: inbox,
      });
      const received = await receiver.settled(receiveId);
      expect(received.status, JSON.stringify(received.failure)).toBe('completed');
      expect(await sha256OfFile(received.savedPath!)).toBe(await sha256OfFile(source));
    } finally {
      await shortLived.close();
    }
  });

  it('a v3 send by default goes through the media server (parts readers can follow)', async () => {
    const { url } = await sendAndReceive('v3-streamed.bin', 2 * 1024 * 1024 + 5, { format: 'v3' });
    const names = await objectNamesOf(url);
    expect(names.length).toBeGreaterThan(0);
    expect(names).not.toContain('direct');
  });
});
