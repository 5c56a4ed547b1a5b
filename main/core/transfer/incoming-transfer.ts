import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Receivable } from '../../../shared/matrix/file-message.js';
import { parseMxcUri } from '../../../shared/matrix/mxc.js';
import { plaintextSizeFromCiphertextSize } from '../../../shared/msc4016/block-layout.js';
import { CodecError } from '../../../shared/msc4016/codec-error.js';
import { type EncryptedFile, V3_VERSION } from '../../../shared/msc4016/encrypted-file.js';
import { safeFileName } from '../../../shared/transfer/safe-file-name.js';
import { declaredBlockSize, keyMaterialOf } from '../codec/file-info.js';
import type { KeyMaterial } from '../codec/key-material.js';
import { CounterModeStream } from '../codec/v2-codec.js';
import { decryptV3 } from '../codec/v3-decryptor.js';
import { partialPathOf } from './destination.js';
import type { EngineContext, TransferReporter, TransferRunner } from './engine-context.js';
import { FrameBoundaryTracker } from './frame-boundaries.js';
import { CoalescingWriter } from './coalescing-writer.js';
import { MatrixHttpError } from './matrix-http-error.js';
import type { DownloadStream, MediaRepositoryClient } from './media-repository-client.js';
import { fileBlockOf } from './outgoing-transfer.js';
import { type DigestMark, flatBoundaries, initialMark, ReceiveDigest, rederivedMark } from './receive-digest.js';
import { type CompletedOutcome, sameSha256 } from './receive-outcome.js';
import { NetworkError, withRetries } from './retry-policy.js';
import { describeFsFailure, isErrno, savingFailure, TransferError } from './transfer-error.js';
import type { ReceiveCheckpoint, ReceiveRecord } from './transfer-record.js';
import { TransferStore } from './transfer-store.js';

export interface ReceiveOptions {
  readonly homeserverUrl: string;
  readonly destinationDir: string;
  /** Overrides the name from the event (still sanitised). */
  readonly fileName?: string;
  /** The room and the event the file came from, kept with the transfer for the app. */
  readonly roomId?: string;
  readonly eventId?: string;
  /** The account receiving it. */
  readonly userId?: string;
  /**
   * Once every byte is in, keep the file hidden until the sender's outcome event matched it
   * (docs/PROTOCOL.md §7). Only for a front end that hears the room and passes outcomes on.
   */
  readonly awaitOutcome?: boolean;
  /** The sender's completed outcome, when it is already known: remembered and applied at the end. */
  readonly outcome?: CompletedOutcome;
}

/** Persist a checkpoint after this many bytes or this long, whichever comes first. */
const CHECKPOINT_BYTES = 32 * 1024 * 1024;
const CHECKPOINT_MS = 2000;
/** A download that delivers nothing for this long is treated as a broken connection and retried. */
const STALL_MS = 60_000;

/** Where a receive begins, and begins again when retried after a failure discarded its partial file. */
export const RECEIVE_START: ReceiveCheckpoint = { plaintextOffset: 0, ciphertextOffset: 0, nextSequence: 0 };

/**
 * The plaintext size of a file whose event does not state it (a bare `file` block), from the upload
 * length the server reports. This trusts the server with one thing the event would otherwise vouch
 * for: a server that declares a shorter length could cut the file at a block boundary unnoticed.
 * Receivers given a whole event never take this path (docs/PROTOCOL.md §5.3).
 */
async function sizeFromServer(context: EngineContext, homeserverUrl: string, receivable: Receivable): Promise<number> {
  const client = await context.clientFor(homeserverUrl);
  const response = await client.download(parseMxcUri(contentUriOf(receivable)), {
    range: { first: 0, last: 0 },
    timeoutMs: context.downloadTimeoutMs,
  });
  await response.cancel();
  const total = Number(
    /\/(\d+)$/.exec(response.header('Content-Range') ?? '')?.[1] ?? response.header('Content-Length'),
  );
  const { file } = receivable;
  const blockSize = file?.v === V3_VERSION ? declaredBlockSize(file) : undefined;
  const size =
    file?.v !== V3_VERSION
      ? total
      : blockSize === undefined
        ? undefined
        : plaintextSizeFromCiphertextSize(total, blockSize);
  if (!Number.isSafeInteger(total) || size === undefined) {
    throw new TransferError(
      'UNSUPPORTED_SERVER',
      'the event does not say how large the file is (info.size), and the server does not say either, so a stream cut short could not be told from a complete one',
    );
  }
  return size;
}

function contentUriOf(receivable: Receivable): string {
  return receivable.file === undefined ? receivable.url : receivable.file.url;
}

/** Validates a receive and persists it; nothing is downloaded yet. */
export async function prepareReceive(
  context: EngineContext,
  receivable: Receivable,
  options: ReceiveOptions,
): Promise<ReceiveRecord> {
  const { file } = receivable;
  if (file) keyMaterialOf(file); // An unusable key fails here, before anything is written.
  const contentUri = contentUriOf(receivable);
  parseMxcUri(contentUri);
  const destinationDir = resolve(options.destinationDir);
  try {
    if (!(await stat(destinationDir)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (error) {
    throw new TransferError(
      'DESTINATION_UNWRITABLE',
      isErrno(error) && error.code === 'ENOTDIR'
        ? `${destinationDir} is not a folder`
        : describeFsFailure(error as NodeJS.ErrnoException, `cannot save into ${destinationDir}`),
    );
  }
  const id = TransferStore.newId();
  const now = context.now();
  const record: ReceiveRecord = {
    id,
    direction: 'receive',
    createdAt: now,
    updatedAt: now,
    status: 'queued',
    homeserverUrl: options.homeserverUrl.replace(/\/+$/, ''),
    fileName: safeFileName(options.fileName ?? receivable.untrustedName),
    mimetype: receivable.mimetype ?? 'application/octet-stream',
    format: file === undefined ? 'plain' : file.v === V3_VERSION ? 'v3' : 'v2',
    size: receivable.size ?? (await sizeFromServer(context, options.homeserverUrl, receivable)),
    ...(file && { sealedFile: await context.secrets.seal(JSON.stringify(file)) }),
    contentUri,
    destinationDir,
    partialPath: partialPathOf(destinationDir, id),
    checkpoint: RECEIVE_START,
    ...(file?.v === V3_VERSION && declaredBlockSize(file) === undefined && { foreignFraming: true }),
    ...(options.awaitOutcome && { awaitsOutcome: true }),
    ...(options.outcome && { outcome: options.outcome }),
    ...(options.roomId !== undefined && { roomId: options.roomId }),
    ...(options.eventId !== undefined && { eventId: options.eventId }),
    ...(options.userId !== undefined && { userId: options.userId }),
  };
  await context.store.save(record);
  return record;
}

async function openPartial(record: {
  readonly partialPath: string;
  readonly destinationDir: string;
}): Promise<FileHandle> {
  try {
    return await open(record.partialPath, 'r+');
  } catch (error) {
    if (!isErrno(error) || error.code !== 'ENOENT') throw savingFailure(error, record);
  }
  try {
    // The mode the saved file will have (the umask applies), as any other download.
    return await open(record.partialPath, 'w+', 0o666);
  } catch (error) {
    throw savingFailure(error, record);
  }
}

/** A response body as chunks, failing as a broken connection when nothing arrives for `stallMs`. */
async function* watched(body: AsyncIterable<Uint8Array>, abort: (reason: Error) => void, stallMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort(new NetworkError(`no data arrived for ${stallMs / 1000} s`)), stallMs);
  };
  arm();
  try {
    for await (const chunk of body) {
      arm();
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

interface Attempt {
  readonly record: ReceiveRecord;
  readonly file: EncryptedFile | undefined;
  readonly keys: KeyMaterial | undefined;
  /** The response's bytes, already taken by the digest (and the frame tracker, for v3). */
  readonly body: AsyncIterable<Uint8Array>;
  /** Where this attempt starts. */
  readonly checkpoint: ReceiveCheckpoint;
  /** v3: follows the frame headers, so a checkpoint can be recorded at any block boundary. */
  readonly tracker: FrameBoundaryTracker | undefined;
  /** Writes authenticated (v3) or provisional (v2) plaintext at the current end; returns the new end. */
  write(plaintext: Uint8Array): Promise<number>;
  /** A position every byte before which is written; persisted when due. */
  reached(checkpoint: ReceiveCheckpoint): Promise<void>;
}

async function receiveV3(attempt: Attempt, context: EngineContext): Promise<void> {
  const { checkpoint, record, tracker } = attempt;
  const plaintext = decryptV3(attempt.body, {
    keys: attempt.keys!,
    expectedSize: record.size,
    blockSize: attempt.file?.v === V3_VERSION ? declaredBlockSize(attempt.file) : undefined,
    firstSequence: checkpoint.nextSequence,
    expectMagic: checkpoint.ciphertextOffset === 0,
    plaintextOffset: checkpoint.plaintextOffset,
    cipher: context.cipher,
    // Each plaintext is copied into the writer's stage before the next is asked for.
    reuseYieldedBuffers: true,
  });
  for await (const bytes of plaintext) {
    const end = await attempt.write(bytes);
    const position = tracker!.positionAt(end);
    if (position) await attempt.reached(position);
  }
}

const AES_BLOCK = 16;

/**
 * v2 (the spec's AES-CTR attachments): nothing is authenticated until the SHA-256 of the whole
 * ciphertext matched (attemptReceive checks it at the end), so the partial file stays hidden until then.
 */
async function receiveV2(attempt: Attempt): Promise<void> {
  const { checkpoint } = attempt;
  const counter = new CounterModeStream(attempt.keys!, 'decrypt', BigInt(checkpoint.plaintextOffset / AES_BLOCK));
  let carry = Buffer.alloc(0);
  const take = async (ciphertext: Buffer): Promise<void> => {
    const end = await attempt.write(counter.update(ciphertext));
    await attempt.reached({ plaintextOffset: end, ciphertextOffset: end, nextSequence: 0 });
  };
  for await (const chunk of attempt.body) {
    const input = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    // Whole AES blocks only, so every checkpoint sits where the keystream can be restarted.
    const aligned = input.length - (input.length % AES_BLOCK);
    if (aligned > 0) await take(input.subarray(0, aligned));
    carry = input.subarray(aligned);
  }
  if (carry.length > 0) await take(carry);
}

/** A file shared unencrypted: its bytes are the file (and nothing vouches for them). */
async function receivePlain(attempt: Attempt): Promise<void> {
  for await (const chunk of attempt.body) {
    const end = await attempt.write(chunk);
    await attempt.reached({ plaintextOffset: end, ciphertextOffset: end, nextSequence: 0 });
  }
}

/**
 * Where a receive stands on disk: bytes are written through a CoalescingWriter, and checkpoints (the
 * partial file fdatasynced, then the record saved) run beside the download rather than stopping it,
 * one at a time, every CHECKPOINT_BYTES or CHECKPOINT_MS. A checkpoint never claims a byte that is not
 * written and synced.
 */
class ReceiveCheckpoints {
  /** The furthest block boundary reached (written or queued); the next checkpoint's candidate. */
  latest: ReceiveCheckpoint;
  private saved: { bytes: number; at: number };
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private record: ReceiveRecord,
    private readonly handle: FileHandle,
    private readonly context: EngineContext,
    private readonly reporter: TransferReporter,
  ) {
    this.latest = record.checkpoint;
    this.saved = { bytes: record.checkpoint.plaintextOffset, at: context.now() };
  }

  get current(): ReceiveRecord {
    return this.record;
  }

  /**
   * The download starts over from the beginning (the server ignored a Range, or the digest could not
   * be re-derived): recorded before the partial file is emptied, so a crash never leaves a checkpoint
   * beyond what the file holds.
   */
  async restart(): Promise<void> {
    if (this.record.checkpoint.ciphertextOffset === 0) return;
    this.record = { ...this.record, checkpoint: RECEIVE_START };
    await this.reporter.save(this.record);
    this.saved = { bytes: 0, at: this.context.now() };
  }

  /** The stream has a frame this engine would not write (receive-digest.ts): saved with the next checkpoint. */
  noteForeignFraming(): void {
    if (!this.record.foreignFraming) this.record = { ...this.record, foreignFraming: true };
  }

  /** A block boundary reached through `writer`; starts a checkpoint in the background when one is due. */
  reached(position: ReceiveCheckpoint, writer: CoalescingWriter): void {
    if (this.failure !== undefined) throw this.failure;
    this.latest = position;
    const due =
      position.plaintextOffset - this.saved.bytes >= CHECKPOINT_BYTES ||
      this.context.now() - this.saved.at >= CHECKPOINT_MS;
    // Never backwards (a resumed attempt writes a few blocks before the checkpoint again): a checkpoint
    // is a promise that every byte before it is in the file, and where the digest may resume.
    if (!due || this.running || position.plaintextOffset <= this.record.checkpoint.plaintextOffset) return;
    this.running = writer
      .flushTo(position.plaintextOffset)
      .then(() => this.persist(position))
      .catch((error: unknown) => {
        this.failure = savingFailure(error, this.record);
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Waits for a background checkpoint, then records `position` (its bytes must be written) if it is newer. */
  async settle(position = this.latest): Promise<void> {
    await this.running;
    if (this.failure !== undefined) throw this.failure;
    if (position.plaintextOffset > this.record.checkpoint.plaintextOffset) await this.persist(position);
  }

  private async persist(checkpoint: ReceiveCheckpoint): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (error) {
      throw savingFailure(error, this.record);
    }
    this.record = { ...this.record, checkpoint };
    await this.reporter.save(this.record);
    this.saved = { bytes: checkpoint.plaintextOffset, at: this.context.now() };
  }
}

interface Receive {
  readonly context: EngineContext;
  readonly reporter: TransferReporter;
  readonly file: EncryptedFile | undefined;
  readonly keys: KeyMaterial | undefined;
  readonly client: MediaRepositoryClient;
  readonly handle: FileHandle;
  readonly checkpoints: ReceiveCheckpoints;
  /** Where the next attempt starts: a block boundary at or before the latest checkpoint, its hash state known. */
  mark: DigestMark;
}

interface Received {
  /** Plaintext bytes. */
  readonly size: number;
  readonly ciphertextSha256: string;
}

/** The response's chunks, each taken by the frame tracker, then the digest, before anything reads it. */
async function* followed(
  body: AsyncIterable<Uint8Array>,
  digest: ReceiveDigest,
  tracker: FrameBoundaryTracker | undefined,
  checkpoints: ReceiveCheckpoints,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    if (tracker) {
      tracker.observe(chunk);
      if (tracker.sawAbsentCrc) checkpoints.noteForeignFraming();
    }
    digest.update(chunk);
    yield chunk;
  }
}

/** One download attempt from the receive's mark; resolves with the plaintext length and the ciphertext's SHA-256. */
async function attemptReceive(receive: Receive, signal: AbortSignal): Promise<Received> {
  const { context, reporter, handle, checkpoints } = receive;
  const record = checkpoints.current;
  let start = receive.mark;
  const attemptController = new AbortController();
  const onAbort = (): void => attemptController.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let writer: CoalescingWriter | undefined;
  let response: DownloadStream | undefined;
  let digest: ReceiveDigest | undefined;
  try {
    response = await receive.client.download(parseMxcUri(record.contentUri), {
      timeoutMs: context.downloadTimeoutMs,
      signal: attemptController.signal,
      ...(start.at.ciphertextOffset > 0 && { range: { first: start.at.ciphertextOffset } }),
    });
    if (start.at.ciphertextOffset > 0 && response.status !== 206) {
      // The server ignored the Range: start over from this full response.
      start = initialMark();
    } else if (response.status === 206) {
      const first = /^bytes (\d+)-/.exec(response.header('Content-Range') ?? '')?.[1];
      if (Number(first) !== start.at.ciphertextOffset) {
        throw new TransferError('SERVER_REFUSED', 'the server answered a different byte range than asked for');
      }
    }
    const checkpoint = start.at;
    if (checkpoint.ciphertextOffset === 0) await checkpoints.restart();
    try {
      // What the checkpoint counts is kept (a mark before it is written over with the same bytes).
      await handle.truncate(checkpoint.ciphertextOffset === 0 ? 0 : record.checkpoint.plaintextOffset);
    } catch (error) {
      throw savingFailure(error, record);
    }
    checkpoints.latest = checkpoint;
    reporter.progress(checkpoint.plaintextOffset);
    const output = new CoalescingWriter(handle, checkpoint.plaintextOffset, (position) => reporter.progress(position));
    writer = output;
    let accepted = checkpoint.plaintextOffset;
    const tracker = record.format === 'v3' ? new FrameBoundaryTracker(checkpoint) : undefined;
    digest = new ReceiveDigest(
      start,
      tracker ? (from, to) => tracker.boundaryWithin(from, to) : flatBoundaries(record.format === 'v2' ? AES_BLOCK : 1),
      () => checkpoints.current.checkpoint,
    );
    const attempt: Attempt = {
      record,
      file: receive.file,
      keys: receive.keys,
      checkpoint,
      tracker,
      body: followed(
        watched(response.body, (reason) => attemptController.abort(reason), STALL_MS),
        digest,
        tracker,
        checkpoints,
      ),
      write: async (plaintext) => {
        try {
          await output.write(plaintext);
        } catch (error) {
          throw savingFailure(error, record);
        }
        accepted += plaintext.length;
        return accepted;
      },
      reached: async (position) => checkpoints.reached(position, output),
    };
    if (record.format === 'v3') await receiveV3(attempt, context);
    else if (record.format === 'v2') await receiveV2(attempt);
    else await receivePlain(attempt);
    if (record.format !== 'v3' && record.size > 0 && accepted !== record.size) {
      throw new CodecError('TRUNCATED', `the file holds ${accepted} bytes, not the announced ${record.size}`);
    }
    const ciphertextSha256 = digest.result();
    if (receive.file?.v === 'v2' && !sameSha256(ciphertextSha256, receive.file.hashes.sha256)) {
      throw new CodecError('HASH_MISMATCH', 'the file does not match its SHA-256: it was altered or cut short');
    }
    await output.flushTo().catch((error: unknown) => {
      throw savingFailure(error, record);
    });
    return { size: accepted, ciphertextSha256 };
  } catch (error) {
    // An aborted attempt reports why it was aborted (a stall, a pause), not the abort itself.
    if (attemptController.signal.aborted && !signal.aborted) throw attemptController.signal.reason;
    if (error instanceof MatrixHttpError && error.status === 404) {
      // Slipstream's server says when media it had was cancelled or expired; any other 404 is media
      // that the server never had (a wrong or made-up event, another server's media it cannot fetch).
      const gone = /cancel|expire/i.test(error.serverMessage ?? '');
      throw new TransferError(
        'MEDIA_UNAVAILABLE',
        gone
          ? 'the file is no longer on the server: its sender cancelled it, or it expired'
          : `there is no such file on the server: ${record.contentUri} names media it does not have`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A body left unread (a failure before or while reading it) would hold its connection.
    await response?.cancel().catch(() => undefined);
    // Whatever was accepted is written before the next attempt truncates or a checkpoint counts it.
    await writer?.flushTo().catch(() => undefined);
    // The next attempt starts where the hash of everything before is known, at or before the checkpoint.
    if (digest) receive.mark = digest.markAtOrBefore(checkpoints.latest);
  }
}

/** Where a run's first attempt starts: a mark a paused run left in this process, or one re-derived from the disk. */
async function startingMark(
  context: EngineContext,
  record: ReceiveRecord,
  keys: KeyMaterial | undefined,
  file: EncryptedFile | undefined,
  handle: FileHandle,
  signal: AbortSignal,
): Promise<DigestMark> {
  const kept = context.receiveMarks.get(record.id);
  context.receiveMarks.delete(record.id);
  if (kept && kept.at.ciphertextOffset <= record.checkpoint.ciphertextOffset) return kept;
  return rederivedMark(
    {
      format: record.format,
      size: record.size,
      checkpoint: record.checkpoint,
      ...(file?.v === V3_VERSION && { blockSize: declaredBlockSize(file) }),
      ...(record.foreignFraming && { foreignFraming: true }),
      ...(keys && { keys }),
    },
    handle,
    context.cipher,
    signal,
  );
}

/**
 * Downloads and authenticates a receive into its hidden partial file, resuming from its last
 * checkpoint with a Range request, and starting at once even while the sender is still uploading
 * (the server streams the upload as it arrives; `timeout_ms` covers a sender who has not started).
 * Resolves once every block authenticated and the size matched, with the ciphertext's SHA-256 in the
 * record; the engine then decides whether the file may have its name (receive-outcome.ts).
 */
export const runReceive: TransferRunner<ReceiveRecord> = async (context, initial, signal, reporter) => {
  // Every byte is in already (a receive waiting for its sender's outcome, run again): nothing to fetch.
  if (initial.ciphertextSha256 !== undefined) return initial;
  const file =
    initial.sealedFile === undefined ? undefined : await fileBlockOf(context, { sealedFile: initial.sealedFile });
  const keys = file && keyMaterialOf(file);
  const handle = await openPartial(initial);
  const checkpoints = new ReceiveCheckpoints(initial, handle, context, reporter);
  let receive: Receive | undefined;
  let received: Received;
  try {
    receive = {
      context,
      reporter,
      file,
      keys,
      client: await context.clientFor(initial.homeserverUrl),
      handle,
      checkpoints,
      mark: await startingMark(context, initial, keys, file, handle, signal),
    };
    const ready = receive;
    received = await withRetries({
      policy: context.retry,
      signal,
      progressMark: () => checkpoints.latest.plaintextOffset,
      onRetry: (attempt, inMs) => reporter.retrying(attempt, inMs),
      attempt: async () => {
        // What the failed attempt authenticated and wrote is kept: the next one asks for the rest.
        await checkpoints.settle();
        return attemptReceive(ready, signal);
      },
    });
    await checkpoints.settle({ ...checkpoints.latest, plaintextOffset: received.size });
    await handle.sync().catch((error: unknown) => {
      throw savingFailure(error, initial);
    });
  } catch (error) {
    // Keep what is authenticated for a resume; a stopped transfer resumes from here, its digest too.
    if (signal.aborted) {
      await checkpoints.settle().catch(() => undefined);
      if (receive) context.receiveMarks.set(initial.id, receive.mark);
    }
    await handle.close();
    throw error;
  }
  await handle.close();
  // Every byte is in, durably: from now on the receive is never downloaded again.
  const record: ReceiveRecord = {
    ...checkpoints.current,
    size: received.size,
    ciphertextSha256: received.ciphertextSha256,
  };
  await reporter.save(record);
  return record;
};
