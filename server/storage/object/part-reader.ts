import type { Readable } from 'node:stream';
import type { MediaKey, MediaReader } from '../media-store.js';
import type { ObjectMediaStore } from './object-media-store.js';

interface StoredPart {
  readonly start: number;
  readonly length: number;
  readonly objectKey: string;
}

/** The recorded parts that hold bytes at or after `from`, in order. */
async function partsFrom(store: ObjectMediaStore, key: MediaKey, from: number): Promise<StoredPart[]> {
  const result = await store.query<{ start_offset: number; length: number; object_key: string }>(
    `SELECT start_offset, length, object_key FROM media_parts
     WHERE server_name = $1 AND media_id = $2 AND start_offset + length > $3 ORDER BY start_offset`,
    [key.serverName, key.mediaId, from],
  );
  return result.rows.map((row) => ({ start: row.start_offset, length: row.length, objectKey: row.object_key }));
}

async function wholeObject(bucket: ObjectMediaStore['bucket'], part: StoredPart): Promise<Buffer> {
  const body = await bucket.getRange(part.objectKey, 0, part.length);
  const bytes = Buffer.allocUnsafe(part.length);
  let filled = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (filled + chunk.length > part.length) throw new Error(`part ${part.objectKey} is longer than recorded`);
    chunk.copy(bytes, filled);
    filled += chunk.length;
  }
  if (filled !== part.length) throw new Error(`part ${part.objectKey} ended early`);
  return bytes;
}

/** [start, endExclusive) of an upload, one ranged GET per part it touches. */
export async function* readParts(
  store: ObjectMediaStore,
  key: MediaKey,
  start: number,
  endExclusive: number,
): AsyncIterable<Uint8Array> {
  let position = start;
  for (const part of await partsFrom(store, key, start)) {
    if (position >= endExclusive) return;
    if (part.start > position) throw new Error(`no stored part holds byte ${position} of ${key.mediaId}`);
    const to = Math.min(endExclusive, part.start + part.length);
    const body = await store.bucket.getRange(part.objectKey, position - part.start, to - part.start);
    for await (const chunk of body) yield chunk as Buffer;
    position = to;
  }
  if (position < endExclusive) throw new Error(`the stored parts of ${key.mediaId} end at byte ${position}`);
}

/**
 * One reader of an upload in the object store, kept for a whole response (MediaReader). Parts of
 * ordinary size come whole from the instance's part cache (part-cache.ts), shared by every reader.
 * Larger ones (a direct upload is one object) are read sequentially from one open ranged GET: the object is
 * requested once, from the read position to the part's end, and consumed as the response is sent.
 * A read elsewhere (or after the stream failed) opens a new GET there. Parts are looked up in the
 * database only when a read reaches past those already known, so following a growing upload costs one
 * query per new part.
 */
export class PartReader implements MediaReader {
  private parts: StoredPart[] = [];
  private cursor:
    | { position: number; partEnd: number; stream: Readable; iterator: AsyncIterator<Buffer>; spare?: Buffer }
    | undefined;

  constructor(
    private readonly store: ObjectMediaStore,
    private readonly key: MediaKey,
  ) {}

  async read(target: Uint8Array, position: number, length: number): Promise<number> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.readOnce(target, position, length);
      } catch (error) {
        // A GET left waiting while its client was slow may have been closed by the store: once more.
        this.dropCursor();
        if (attempt >= 1) throw error;
      }
    }
  }

  private async readOnce(target: Uint8Array, position: number, length: number): Promise<number> {
    const part = await this.partAt(position);
    if (!part) return 0;
    const partEnd = part.start + part.length;
    const { partCache, bucket } = this.store;
    if (partCache.accepts(part.length)) {
      const bytes = await partCache.get(part.objectKey, part.length, () => wholeObject(bucket, part));
      const from = position - part.start;
      const count = Math.min(length, part.length - from);
      target.set(bytes.subarray(from, from + count));
      return count;
    }
    if (this.cursor?.position !== position) {
      this.dropCursor();
      const stream = await this.store.bucket.getRange(part.objectKey, position - part.start, part.length);
      this.cursor = { position, partEnd, stream, iterator: stream[Symbol.asyncIterator]() as AsyncIterator<Buffer> };
    }
    const cursor = this.cursor!;
    const wanted = Math.min(length, cursor.partEnd - position);
    let filled = 0;
    while (filled < wanted) {
      let chunk = cursor.spare;
      cursor.spare = undefined;
      if (!chunk) {
        const next = await cursor.iterator.next();
        if (next.done) throw new Error(`part of ${this.key.mediaId} at ${part.start} ended early`);
        chunk = next.value;
      }
      const take = Math.min(chunk.byteLength, wanted - filled);
      target.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take < chunk.byteLength) cursor.spare = chunk.subarray(take);
    }
    cursor.position += filled;
    if (cursor.position >= cursor.partEnd) this.dropCursor();
    return filled;
  }

  private async partAt(position: number): Promise<StoredPart | undefined> {
    let part = this.parts.find((p) => p.start <= position && position < p.start + p.length);
    if (!part) {
      this.parts = await partsFrom(this.store, this.key, position);
      part = this.parts.find((p) => p.start <= position && position < p.start + p.length);
    }
    return part;
  }

  private dropCursor(): void {
    this.cursor?.stream.destroy();
    this.cursor = undefined;
  }

  async close(): Promise<void> {
    this.dropCursor();
  }
}
