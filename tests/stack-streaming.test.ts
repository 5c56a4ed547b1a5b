import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaClient, slipstreamMediaUsers, sleep, type MediaRef, type ReadResult } from './support/media-client.js';

/*
 * Streaming downloads of uploads in progress (docs/PROTOCOL.md §4.3), through the stack's nginx: that
 * readers get bytes while the upload is still arriving proves nginx buffers neither the upload nor the
 * download. Latencies are printed, not asserted (the machines are shared): the assertions are about
 * order (the reader had bytes before the upload finished) and content.
 */

const CHUNK = 16 * 1024;
const INTERVAL_MS = 50;

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

/** For each chunk written at writtenAt[i], how long until the reader had received all of it. */
function deliveryDelays(chunks: readonly Buffer[], writtenAt: readonly number[], result: ReadResult): number[] {
  let end = 0;
  return chunks.map((chunk, index) => {
    end += chunk.length;
    const arrival = result.arrivals.find((a) => a.total >= end);
    return arrival === undefined ? Number.NaN : arrival.at - (writtenAt[index] ?? Number.NaN);
  });
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

function summary(delays: readonly number[]): string {
  const sorted = [...delays].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `median ${ms(at(0.5))}, p90 ${ms(at(0.9))}, max ${ms(at(1))} over ${sorted.length} chunks`;
}

describe('streaming downloads of uploads in progress, through nginx', () => {
  let alice: MediaClient;
  let bob: MediaClient;

  beforeAll(async () => {
    ({ alice, bob } = await slipstreamMediaUsers());
  });

  it('a reader started before the first byte receives each chunk of a slow chunked PUT while it arrives', async () => {
    const media = await alice.create();
    const reader = bob.read(media, { timeoutMs: 10_000 });
    // Let the reader's request reach the server and wait there before anything is uploaded.
    await sleep(300);
    expect(reader.answered()).toBe(false);

    const bytes = randomBytes(30 * CHUNK + 123);
    const chunks = chunksOf(bytes, CHUNK);
    const put = alice.slowUpload(media, chunks, { method: 'PUT', intervalMs: INTERVAL_MS });
    const firstByteAt = await reader.firstByte;
    const { status, finishedAt } = await put.response;
    expect(status).toBe(200);
    const result = await reader.done;

    const firstWrite = put.writtenAt[0] ?? Number.NaN;
    console.log(
      `chunked PUT via nginx: first chunk written → reader's first bytes ${ms(firstByteAt - firstWrite)}; ` +
        `per chunk: ${summary(deliveryDelays(chunks, put.writtenAt, result))}; ` +
        `PUT finished ${ms(finishedAt - firstWrite)} after its first write`,
    );
    // The reader had the first chunk before the PUT finished: nothing between them buffered it.
    expect(firstByteAt).toBeLessThan(finishedAt);
    expect(firstByteAt).toBeLessThan(put.writtenAt.at(-1) ?? Number.NaN);
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('complete');
    expect(result.body.equals(bytes)).toBe(true);
  });

  it('a reader of an upload whose length is declared sees Content-Length = that length (PUT with Content-Length)', async () => {
    const media = await alice.create();
    const reader = bob.read(media, { timeoutMs: 10_000 });
    await sleep(200);
    const bytes = randomBytes(20 * CHUNK + 7);
    const chunks = chunksOf(bytes, CHUNK);
    const put = alice.slowUpload(media, chunks, {
      method: 'PUT',
      intervalMs: INTERVAL_MS,
      contentLength: bytes.length,
    });
    const firstByteAt = await reader.firstByte;
    const { status, finishedAt } = await put.response;
    expect(status).toBe(200);
    const result = await reader.done;
    console.log(
      `PUT with Content-Length via nginx: first bytes ${ms(firstByteAt - (put.writtenAt[0] ?? Number.NaN))} after ` +
        `the first write; per chunk: ${summary(deliveryDelays(chunks, put.writtenAt, result))}`,
    );
    expect(firstByteAt).toBeLessThan(finishedAt);
    expect(result.status).toBe(200);
    expect(result.headers['content-length']).toBe(String(bytes.length));
    expect(result.headers['transfer-encoding']).toBeUndefined();
    expect(result.outcome).toBe('complete');
    expect(result.body.equals(bytes)).toBe(true);
  });

  it('a reader of a tus upload whose length was declared sees Content-Length before the upload completes', async () => {
    const media = await alice.create();
    const bytes = randomBytes(12 * CHUNK);
    await alice.declareLength(media, bytes.length);
    expect((await alice.tusPatch(media, 0, bytes.subarray(0, 4 * CHUNK))).status).toBe(204);

    const head = await fetch(bob.downloadUrl(media), { method: 'HEAD', headers: { Authorization: bob.authorization } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));

    const reader = bob.read(media, { timeoutMs: 10_000 });
    await reader.firstByte;
    const patch = alice.slowUpload(media, chunksOf(bytes.subarray(4 * CHUNK), CHUNK), {
      method: 'PATCH',
      offset: 4 * CHUNK,
      intervalMs: INTERVAL_MS,
    });
    const result = await reader.done;
    expect((await patch.response).status).toBe(204);
    expect(result.headers['content-length']).toBe(String(bytes.length));
    expect(result.outcome).toBe('complete');
    expect(result.body.equals(bytes)).toBe(true);
  });

  it('ten concurrent readers of one upload all receive identical complete bytes', async () => {
    const media = await alice.create();
    const readers = Array.from({ length: 10 }, () => bob.read(media, { timeoutMs: 10_000 }));
    await sleep(300);
    const bytes = randomBytes(40 * CHUNK + 1);
    const chunks = chunksOf(bytes, CHUNK);
    const put = alice.slowUpload(media, chunks, { method: 'PUT', intervalMs: 20 });
    const firstBytes = await Promise.all(readers.map((reader) => reader.firstByte));
    expect((await put.response).status).toBe(200);
    const results = await Promise.all(readers.map((reader) => reader.done));
    const firstWrite = put.writtenAt[0] ?? Number.NaN;
    console.log(
      `10 readers: first bytes ${firstBytes.map((at) => (at - firstWrite).toFixed(1)).join(', ')} ms after the first write`,
    );
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.outcome).toBe('complete');
      expect(result.body.equals(bytes)).toBe(true);
    }
  });

  it('a Range beyond the current offset waits for those bytes, then answers 206 with exactly them', async () => {
    const media = await alice.create();
    const bytes = randomBytes(8 * CHUNK);
    await alice.declareLength(media, bytes.length);
    expect((await alice.tusPatch(media, 0, bytes.subarray(0, 2 * CHUNK))).status).toBe(204);

    const first = 5 * CHUNK + 100;
    const last = 6 * CHUNK + 99;
    const reader = bob.read(media, { timeoutMs: 10_000, range: `bytes=${first}-${last}` });
    await sleep(300);
    // Nothing in the range is stored yet, so the server has not answered.
    expect(reader.answered()).toBe(false);
    const startedAt = performance.now();
    const rest = alice.slowUpload(media, chunksOf(bytes.subarray(2 * CHUNK), CHUNK), {
      method: 'PATCH',
      offset: 2 * CHUNK,
      intervalMs: INTERVAL_MS,
    });
    const result = await reader.done;
    console.log(
      `range ${first}-${last}: answered ${ms(result.headersAt - startedAt)} after the rest of the upload began`,
    );
    expect(result.status).toBe(206);
    expect(result.headers['content-range']).toBe(`bytes ${first}-${last}/${bytes.length}`);
    expect(result.headers['content-length']).toBe(String(last - first + 1));
    expect(result.outcome).toBe('complete');
    expect(result.body.equals(bytes.subarray(first, last + 1))).toBe(true);
    expect((await rest.response).status).toBe(204);
  });

  it('a bounded Range beyond the offset of an upload of unknown length waits, then gets bytes a-b/*', async () => {
    const media = await alice.create();
    const bytes = randomBytes(6 * CHUNK);
    const first = 3 * CHUNK;
    const last = 4 * CHUNK - 1;
    const reader = bob.read(media, { timeoutMs: 10_000, range: `bytes=${first}-${last}` });
    await sleep(200);
    const put = alice.slowUpload(media, chunksOf(bytes, CHUNK), { method: 'PUT', intervalMs: INTERVAL_MS });
    const result = await reader.done;
    expect((await put.response).status).toBe(200);
    expect(result.status).toBe(206);
    // The total is not known when the answer starts, unless the upload finished first.
    expect([`bytes ${first}-${last}/*`, `bytes ${first}-${last}/${bytes.length}`]).toContain(
      result.headers['content-range'],
    );
    expect(result.outcome).toBe('complete');
    expect(result.body.equals(bytes.subarray(first, last + 1))).toBe(true);
  });

  async function cancelMidUpload(
    label: string,
    media: MediaRef,
    upload: { response: Promise<{ status: number; text: string }> },
    readerCount: number,
    declared: number | undefined,
  ): Promise<ReadResult[]> {
    const uploadOutcome = upload.response.then(
      (reply) => `HTTP ${reply.status} ${reply.text}`,
      (error: unknown) => `failed: ${(error as Error).message}`,
    );
    const readers = Array.from({ length: readerCount }, () => bob.read(media, { timeoutMs: 10_000 }));
    await Promise.all(readers.map((reader) => reader.firstByte));
    // Let a few more chunks through, then terminate while the upload is still being written.
    await sleep(4 * INTERVAL_MS);
    const deleteSentAt = performance.now();
    const deleted = await alice.tusDelete(media);
    const deleteAnsweredAt = performance.now();
    expect(deleted.status, deleted.text).toBe(204);
    const results = await Promise.all(readers.map((reader) => reader.done));
    const lastByteAt = Math.max(...results.map((result) => result.arrivals.at(-1)?.at ?? Number.NaN));
    console.log(
      `${label}: DELETE answered in ${ms(deleteAnsweredAt - deleteSentAt)}; readers' last bytes ` +
        `${ms(lastByteAt - deleteSentAt)} relative to it, having ${results.map((r) => r.body.length).join(', ')} ` +
        `bytes; the upload itself: ${await uploadOutcome}`,
    );
    for (const result of results) {
      expect(result.status).toBe(200);
      if (declared !== undefined) expect(result.headers['content-length']).toBe(String(declared));
      // Aborted, never a clean end with a short body.
      expect(result.outcome).toBe('aborted');
      expect(result.body.length).toBeGreaterThan(0);
    }
    // Still gone once the upload's request has ended, however it ended.
    expect((await alice.tusHead(media)).status).toBe(404);
    expect((await bob.download(media, { timeoutMs: 0 })).status).toBe(404);
    return results;
  }

  it('a tus DELETE during a slow chunked PUT aborts every reader (length unknown, chunked responses)', async () => {
    const media = await alice.create();
    const bytes = randomBytes(30 * CHUNK);
    const put = alice.slowUpload(media, chunksOf(bytes, CHUNK), { method: 'PUT', intervalMs: INTERVAL_MS });
    const results = await cancelMidUpload('cancelled chunked PUT', media, put, 5, undefined);
    for (const result of results) {
      expect(result.headers['transfer-encoding']).toBe('chunked');
      expect(result.body.length).toBeLessThan(bytes.length);
      expect(result.body.equals(bytes.subarray(0, result.body.length))).toBe(true);
    }
  });

  /*
   * A DELETE must take @tus/server's lock on the upload, which the PATCH holds: the PATCH is asked to
   * release it and is stopped only after @tus/server's lockDrainTimeout (3 s by default), so the
   * termination waits that long, and an upload that completes within it cannot be terminated any more
   * (400). The upload here lasts longer than that; the DELETE's latency is printed.
   */
  it('a tus DELETE during a slow tus PATCH aborts every reader (length declared)', async () => {
    const media = await alice.create();
    const bytes = randomBytes(120 * CHUNK);
    await alice.declareLength(media, bytes.length);
    const patch = alice.slowUpload(media, chunksOf(bytes, CHUNK), {
      method: 'PATCH',
      offset: 0,
      intervalMs: INTERVAL_MS,
    });
    const results = await cancelMidUpload('cancelled tus PATCH', media, patch, 5, bytes.length);
    for (const result of results) {
      expect(result.body.length).toBeLessThan(bytes.length);
      expect(result.body.equals(bytes.subarray(0, result.body.length))).toBe(true);
    }
  });

  /*
   * A PUT still being written when its upload is terminated must not be answered 200: the sender
   * would believe the upload succeeded while every reader was aborted and the media answers 404.
   */
  it('a PUT whose upload is terminated while it is being written is not answered 200', async () => {
    const media = await alice.create();
    const chunks = chunksOf(randomBytes(16 * CHUNK), CHUNK);
    const put = alice.slowUpload(media, chunks, {
      method: 'PUT',
      intervalMs: INTERVAL_MS,
      beforeChunk: async (index) => {
        if (index === 4) expect((await alice.tusDelete(media)).status).toBe(204);
      },
    });
    const reply = await put.response.catch((error: unknown) => ({ status: 0, text: (error as Error).message }));
    console.log(`PUT terminated after 4 of 16 chunks was answered: ${reply.status} ${reply.text}`);
    expect(reply.status).not.toBe(200);
  });
});
