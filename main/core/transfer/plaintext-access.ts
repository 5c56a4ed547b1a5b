import { open } from 'node:fs/promises';
import { parseMxcUri } from '../../../shared/matrix/mxc.js';
import { BlockLayout } from '../../../shared/msc4016/block-layout.js';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { type EncryptedFile, V3_VERSION } from '../../../shared/msc4016/encrypted-file.js';
import { declaredBlockSize, keyMaterialOf } from '../codec/file-info.js';
import { decryptV3 } from '../codec/v3-decryptor.js';
import { MatrixHttpError } from './matrix-http-error.js';
import type { DownloadStream } from './media-repository-client.js';
import { sleep } from './retry-policy.js';
import { SourceFile } from './source-file.js';
import { hasEveryByte } from './receive-outcome.js';
import { isTransferError } from './transfer-error.js';
import type { TransferEngine } from './transfer-engine.js';
import type { ReceiveRecord, TransferRecord } from './transfer-record.js';

/** The bytes asked for are not there yet and did not arrive within the wait. */
export class NotYetAvailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotYetAvailableError';
  }
}

/**
 * Where the decrypted bytes of a transfer come from, for the media handler. Every byte it returns is
 * either the sender's own file or plaintext of a block that authenticated: the receive's partial file
 * holds only authenticated blocks, in order, and anything beyond it is fetched from the server by
 * Range and authenticated block by block. Legacy v2 files authenticate only as a whole, so they are
 * served only once every byte is in. Unencrypted (plain) files have nothing to authenticate: their
 * bytes come from the partial file or straight from the server.
 */
export interface PlaintextAccess {
  readonly size: number;
  readonly record: TransferRecord;
  /** Plaintext bytes `first`..`last` inclusive, in pieces of at most 1 MiB. */
  read(first: number, last: number, signal: AbortSignal): AsyncGenerator<Buffer>;
}

const PIECE = 1024 * 1024;
const POLL_MS = 100;

async function* readLocal(path: string, first: number, last: number): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (let position = first; position <= last;) {
      const length = Math.min(PIECE, last - position + 1);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) throw new CodecError('TRUNCATED', `${path} ends before byte ${position}`);
      yield buffer.subarray(0, bytesRead);
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** The uploaded bytes `first`..`last` of a transfer's media, as the server answers a Range request for them. */
async function uploadedRange(
  engine: TransferEngine,
  record: TransferRecord & { contentUri: string },
  first: number,
  last: number,
  waitTimeoutMs: number,
  signal: AbortSignal,
): Promise<DownloadStream> {
  const client = await engine.mediaClient(record.id);
  let response: DownloadStream;
  try {
    response = await client.download(parseMxcUri(record.contentUri), {
      range: { first, last },
      timeoutMs: waitTimeoutMs,
      signal,
    });
  } catch (error) {
    if (error instanceof MatrixHttpError && error.errcode === 'M_NOT_YET_UPLOADED') {
      throw new NotYetAvailableError('the sender has not uploaded these bytes yet');
    }
    throw error;
  }
  const start = /^bytes (\d+)-/.exec(response.header('Content-Range') ?? '')?.[1];
  if (response.status !== 206 || Number(start) !== first) {
    await response.cancel();
    throw new CodecError('TRUNCATED', 'the server did not answer the byte range asked for');
  }
  return response;
}

/** A plain (unencrypted) file's bytes `first`..`last` straight from the server: nothing vouches for them anyway. */
async function* readRemotePlain(
  engine: TransferEngine,
  record: ReceiveRecord,
  first: number,
  last: number,
  waitTimeoutMs: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const response = await uploadedRange(engine, record, first, last, waitTimeoutMs, signal);
  let delivered = first;
  for await (const chunk of response.body) {
    const piece = Buffer.from(chunk).subarray(0, last + 1 - delivered);
    if (piece.length > 0) yield piece;
    delivered += piece.length;
  }
  if (delivered <= last) throw new CodecError('TRUNCATED', 'the server ended the range before its last byte');
}

/** Fetches just the frames holding `first`..`last` and authenticates each as the block expected there. */
async function* readRemote(
  engine: TransferEngine,
  record: TransferRecord,
  file: EncryptedFile,
  first: number,
  last: number,
  waitTimeoutMs: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const blockSize = file.v === V3_VERSION ? declaredBlockSize(file) : undefined;
  if (blockSize === undefined || record.contentUri === undefined) {
    throw new NotYetAvailableError('these bytes have not been downloaded yet');
  }
  const layout = new BlockLayout(blockSize, record.size);
  const { blocks, bytes } = layout.ciphertextRangeFor(first, last);
  const response = await uploadedRange(
    engine,
    { ...record, contentUri: record.contentUri },
    bytes[0],
    bytes[1],
    waitTimeoutMs,
    signal,
  );
  let position = layout.plaintextStartOf(blocks[0]);
  let delivered = first;
  for await (const plaintext of decryptV3(response.body, {
    keys: keyMaterialOf(file),
    blockSize,
    firstSequence: blocks[0],
    expectMagic: false,
    plaintextOffset: position,
  })) {
    const from = Math.max(first - position, 0);
    const to = Math.min(last + 1 - position, plaintext.length);
    if (to > from) {
      yield plaintext.subarray(from, to);
      delivered = position + to;
    }
    position += plaintext.length;
  }
  if (delivered <= last) throw new CodecError('TRUNCATED', 'the server ended the range before its last byte');
}

/** Waits (bounded) until `condition` holds, checking the engine's state as it moves on. */
async function waitFor(condition: () => boolean, timeoutMs: number, signal: AbortSignal, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) throw new NotYetAvailableError(what);
    await sleep(POLL_MS, signal);
  }
}

export async function openPlaintextAccess(
  engine: TransferEngine,
  id: string,
  waitTimeoutMs: number,
): Promise<PlaintextAccess | undefined> {
  const record = engine.record(id);
  if (record === undefined) return undefined;
  const file = await engine.fileBlock(id);
  const size = record.size;

  if (record.direction === 'send') {
    if (file === undefined) throw new TypeError('a send always has its file block');
    return {
      size,
      record,
      async *read(first, last, signal) {
        let source: SourceFile;
        try {
          source = await SourceFile.open(record.source);
        } catch (error) {
          // The sender's copy changed or went away: the uploaded bytes are still there to decrypt.
          if (!isTransferError(error, 'SOURCE_CHANGED')) throw error;
          yield* readRemote(engine, record, file, first, last, waitTimeoutMs, signal);
          return;
        }
        try {
          for (let position = first; position <= last; position += PIECE) {
            yield await source.read(position, Math.min(PIECE, last - position + 1));
          }
        } finally {
          await source.close();
        }
      },
    };
  }

  const current = (): ReceiveRecord => engine.record(id) as ReceiveRecord;
  return {
    size,
    record,
    async *read(first, last, signal) {
      if (record.format === 'v2') {
        await waitFor(
          () => current().status === 'completed' || hasEveryByte(current()),
          waitTimeoutMs,
          signal,
          'a v2 file can only be shown once it is complete and its hash checked',
        );
      }
      let position = first;
      while (position <= last) {
        const now = current();
        if (now.savedPath !== undefined) {
          yield* readLocal(now.savedPath, position, last);
          return;
        }
        const authenticated = engine.bytesDone(id);
        if (position < authenticated) {
          const end = Math.min(last, authenticated - 1);
          try {
            for await (const piece of readLocal(now.partialPath, position, end)) {
              yield piece;
              position += piece.length;
            }
          } catch (error) {
            // Completed meanwhile: the partial file now has its final name (savedPath, next turn).
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
            if (current().savedPath === undefined) await sleep(POLL_MS, signal);
          }
          continue;
        }
        if (file?.v === V3_VERSION && declaredBlockSize(file) !== undefined) {
          yield* readRemote(engine, now, file, position, last, waitTimeoutMs, signal);
          return;
        }
        if (file === undefined) {
          yield* readRemotePlain(engine, now, position, last, waitTimeoutMs, signal);
          return;
        }
        // No block size to seek with: follow the download.
        await waitFor(
          () => engine.bytesDone(id) > position || current().status === 'completed',
          waitTimeoutMs,
          signal,
          'these bytes have not been downloaded yet',
        );
      }
    },
  };
}
