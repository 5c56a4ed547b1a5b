import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import mime from 'mime';
import { parseMxcUri } from '../../../shared/matrix/mxc.js';
import {
  BLOCK_SIZE_FIELD,
  type EncryptedFile,
  parseEncryptedFile,
  V3_VERSION,
} from '../../../shared/msc4016/encrypted-file.js';
import { DEFAULT_PLAINTEXT_BLOCK_SIZE, MAGIC } from '../../../shared/msc4016/frame.js';
import { BlockLayout } from '../../../shared/msc4016/block-layout.js';
import { encodeUnpaddedBase64 } from '../codec/base64.js';
import { keyMaterialOf, v2FileInfo, v3FileInfo } from '../codec/file-info.js';
import { generateV2KeyMaterial, generateV3KeyMaterial, type KeyMaterial } from '../codec/key-material.js';
import { assertValidBlockSize } from '../codec/v3-encryptor.js';
import { type CiphertextSource, ledgerGroupsFor, V2CiphertextSource, V3CiphertextSource } from './ciphertext-source.js';
import type { EngineContext, TransferRunner } from './engine-context.js';
import type { CreatedMedia, MediaCapabilities, MediaRepositoryClient } from './media-repository-client.js';
import { LedgerGroups } from './ledger-groups.js';
import { PlaintextLedger } from './plaintext-ledger.js';
import { SendDigest } from './send-digest.js';
import { withRetries } from './retry-policy.js';
import { identifySource, SourceFile } from './source-file.js';
import { TransferError } from './transfer-error.js';
import type { SendRecord, UploadMethod } from './transfer-record.js';
import { TransferStore } from './transfer-store.js';
import {
  DirectUploadUnusable,
  type UploadObserver,
  uploadDirect,
  uploadWithPost,
  uploadWithPut,
  uploadWithTus,
} from './upload-methods.js';

export interface SendOptions {
  readonly homeserverUrl: string;
  /** `v3` (MSC4016, streamable) unless the room's other clients can only read the spec's `v2`. */
  readonly format?: 'v3' | 'v2';
  readonly blockSize?: number;
  /** From the file's extension when not given. */
  readonly mimetype?: string;
  /** The name shown in the room; the file's own name when not given. */
  readonly fileName?: string;
  /** The room it is shared in, kept with the transfer for the app. */
  readonly roomId?: string;
  /** The account sending it. */
  readonly userId?: string;
  /**
   * Upload straight into the server's storage (MSC3870 `upload_url`) when it offers that, rather than
   * through the media server where readers can follow it: for a transfer nobody needs to stream (a
   * user setting). v2 sends always do, since nothing can read a v2 file before its last byte.
   */
  readonly preferDirectUpload?: boolean;
}

interface OpenedSource {
  readonly file: SourceFile;
  readonly ledger: PlaintextLedger;
  readonly ciphertext: V3CiphertextSource | V2CiphertextSource;
  close(): Promise<void>;
}

async function openCiphertext(
  context: EngineContext,
  record: Pick<SendRecord, 'id' | 'source' | 'format' | 'ledgerGroups'>,
  keys: KeyMaterial,
  blockSize: number | undefined,
  digest?: SendDigest,
): Promise<OpenedSource> {
  const file = await SourceFile.open(record.source);
  let ledger: PlaintextLedger;
  try {
    ledger = await PlaintextLedger.open(
      context.store.pathOf(record.id, '.ledger'),
      new LedgerGroups(record.ledgerGroups.unit, record.ledgerGroups.cap),
    );
  } catch (error) {
    await file.close();
    throw error;
  }
  const ciphertext =
    record.format === 'v3'
      ? new V3CiphertextSource(file, ledger, keys, blockSize ?? DEFAULT_PLAINTEXT_BLOCK_SIZE, context.cipher, digest)
      : new V2CiphertextSource(file, ledger, keys);
  return {
    file,
    ledger,
    ciphertext,
    close: async () => {
      await ledger.close();
      await file.close();
    },
  };
}

function chooseMethod(
  capabilities: MediaCapabilities,
  created: CreatedMedia | undefined,
  direct: boolean,
): UploadMethod {
  if (!created) return 'post';
  if (direct && created.directUpload) return 'direct';
  return streamedMethod(capabilities);
}

const streamedMethod = (capabilities: MediaCapabilities): UploadMethod =>
  capabilities.tusEndpoint !== undefined ? 'tus' : 'put';

/** The unsealed `file` block of a transfer. */
export async function fileBlockOf(context: EngineContext, record: { sealedFile: string }): Promise<EncryptedFile> {
  let text: string;
  try {
    text = await context.secrets.open(record.sealedFile);
  } catch (error) {
    throw new TransferError('STATE_UNREADABLE', `the transfer's keys cannot be unsealed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseEncryptedFile(JSON.parse(text));
}

/**
 * Everything a send does before its first byte is uploaded (MSC2246): stat the file, make a key and
 * IV, create the media ID, and persist the transfer, so the caller can post the room event at once.
 * For `v2` the whole file is encrypted once here to compute `hashes.sha256`, which the event must
 * carry; the upload then encrypts it again under the ledger's guarantee that nothing changed.
 */
export async function prepareSend(
  context: EngineContext,
  path: string,
  options: SendOptions,
): Promise<{ record: SendRecord; file: EncryptedFile }> {
  const format = options.format ?? 'v3';
  const blockSize = options.blockSize ?? DEFAULT_PLAINTEXT_BLOCK_SIZE;
  if (format === 'v3') assertValidBlockSize(blockSize);
  const source = await identifySource(path);
  const ciphertextSize = format === 'v3' ? new BlockLayout(blockSize, source.size).ciphertextSize : source.size;
  const client = await context.clientFor(options.homeserverUrl);
  // A server restarting or rate-limiting `/create` is waited out here too, under the same policy.
  const patiently = <T>(attempt: () => Promise<T>): Promise<T> =>
    withRetries({
      policy: context.retry,
      signal: new AbortController().signal,
      attempt,
      progressMark: () => 0,
      onRetry: () => undefined,
    });
  const capabilities = await patiently(() => client.capabilities());
  if (capabilities.maxUploadBytes !== undefined && ciphertextSize > capabilities.maxUploadBytes) {
    throw new TransferError(
      'UNSUPPORTED_SERVER',
      `${source.path} is ${source.size} bytes; ${client.homeserverUrl} accepts uploads of at most ${capabilities.maxUploadBytes} bytes`,
    );
  }
  const created = await patiently(() => client.create(undefined, ciphertextSize));
  const keys = format === 'v3' ? generateV3KeyMaterial() : generateV2KeyMaterial();
  const id = TransferStore.newId();
  const now = context.now();
  const fileName = options.fileName ?? basename(source.path);
  const record: SendRecord = {
    id,
    direction: 'send',
    createdAt: now,
    updatedAt: now,
    status: 'queued',
    homeserverUrl: client.homeserverUrl,
    fileName,
    mimetype: options.mimetype ?? mime.getType(fileName) ?? 'application/octet-stream',
    format,
    size: source.size,
    sealedFile: 'unsealed',
    source,
    ...(created && { contentUri: created.contentUri }),
    uploadMethod: chooseMethod(capabilities, created, format === 'v2' || options.preferDirectUpload === true),
    ...(created?.directUpload && {
      directUpload: { url: created.directUpload.url, headers: { ...created.directUpload.headers } },
    }),
    ciphertextSize,
    acknowledged: 0,
    ledgerGroups: (({ unit, cap }) => ({ unit, cap }))(ledgerGroupsFor(format === 'v3' ? blockSize : 16)),
    ...(options.roomId !== undefined && { roomId: options.roomId }),
    ...(options.userId !== undefined && { userId: options.userId }),
  };
  let file: EncryptedFile;
  if (format === 'v3') {
    file = { ...v3FileInfo(keys, blockSize), ...(created && { url: created.contentUri }) };
  } else {
    const opened = await openCiphertext(context, record, keys, undefined);
    try {
      const hash = createHash('sha256');
      for await (const chunk of opened.ciphertext.read(0, opened.ciphertext.size)) hash.update(chunk);
      file = { ...v2FileInfo(keys, encodeUnpaddedBase64(hash.digest())), ...(created && { url: created.contentUri }) };
    } finally {
      await opened.close();
    }
  }
  record.sealedFile = await context.secrets.seal(JSON.stringify(file));
  await context.store.save(record);
  return { record, file };
}

/**
 * Uploads a prepared send to the end, resuming from whatever the server already has: on every
 * attempt, tus asks the server for its offset and re-encrypts from there.
 */
export const runSend: TransferRunner<SendRecord> = async (context, initial, signal, reporter) => {
  let record = initial;
  const file = await fileBlockOf(context, record);
  const keys = keyMaterialOf(file);
  const blockSize = file.v === V3_VERSION ? file[BLOCK_SIZE_FIELD] : undefined;
  // v2's SHA-256 is in its file block already; v3's is taken as the upload goes, or where an earlier
  // run in this process left it.
  const digest = file.v === V3_VERSION ? (context.sendDigests.get(record.id) ?? SendDigest.begin(MAGIC)) : undefined;
  context.sendDigests.delete(record.id);
  const opened = await openCiphertext(context, record, keys, blockSize, digest);
  const client = await context.clientFor(record.homeserverUrl);
  let acknowledged = record.acknowledged;
  let firstAttempt = true;
  const plaintextDone = (ciphertextOffset: number): number =>
    record.ciphertextSize === 0 ? 0 : Math.floor((record.size * ciphertextOffset) / record.ciphertextSize);
  // Progress shows bytes on their way (smooth); resuming and retry accounting use acknowledged ones.
  const observer: UploadObserver = {
    onSent: (offset) => reporter.progress(plaintextDone(offset)),
    onAcknowledged: (offset) => {
      acknowledged = offset;
      reporter.progress(plaintextDone(offset));
    },
  };
  let ciphertextSha256: string;
  try {
    await withRetries({
      policy: context.retry,
      signal,
      progressMark: () => acknowledged,
      onRetry: (attempt, inMs) => reporter.retrying(attempt, inMs),
      attempt: async () => {
        const fresh = firstAttempt && record.acknowledged === 0;
        firstAttempt = false;
        record = await uploadOnce(client, record, file, opened.ciphertext, signal, observer, context, fresh);
      },
    });
    // A server that already had every byte (a resume after the last PATCH) asked for none: the digest
    // then takes the groups it lacks here.
    ciphertextSha256 =
      file.v === V3_VERSION ? await opened.ciphertext.ciphertextSha256(signal) : file.hashes.sha256.replace(/=+$/, '');
  } catch (error) {
    // What the digest took stays valid for this send (the ledger holds its plaintext to it): a resume
    // in this process goes on from there instead of sealing everything before the server's offset again.
    if (digest) context.sendDigests.set(record.id, digest);
    throw error;
  } finally {
    await opened.close();
  }
  reporter.progress(record.size);
  return { ...record, acknowledged: record.ciphertextSize, ciphertextSha256 };
};

async function uploadOnce(
  client: MediaRepositoryClient,
  record: SendRecord,
  file: EncryptedFile,
  ciphertext: CiphertextSource,
  signal: AbortSignal,
  observer: UploadObserver,
  context: EngineContext,
  /** Nothing was sent for this upload yet, by this run or any earlier one. */
  fresh: boolean,
): Promise<SendRecord> {
  if (record.uploadMethod === 'post') {
    const created = await uploadWithPost(client, ciphertext, signal, observer);
    const withUrl = { ...file, url: created.contentUri };
    return {
      ...record,
      contentUri: created.contentUri,
      sealedFile: await context.secrets.seal(JSON.stringify(withUrl)),
    };
  }
  const media = parseMxcUri(record.contentUri!);
  if (record.uploadMethod === 'direct') {
    if (record.directUpload) {
      try {
        await uploadDirect(client, media, record.directUpload, ciphertext, signal, observer);
        return record;
      } catch (error) {
        if (!(error instanceof DirectUploadUnusable)) throw error;
      }
    }
    // The URL expired (a resume long after /create) or was refused: the media server's path still works.
    const { directUpload: _expired, ...rest } = record;
    record = { ...rest, uploadMethod: streamedMethod(await client.capabilities(signal)) };
  }
  if (record.uploadMethod === 'tus') {
    const uploadUrl = client.tusUploadUrl(await client.capabilities(signal), media);
    if (uploadUrl !== undefined) {
      await uploadWithTus({
        client,
        uploadUrl,
        source: ciphertext,
        chunkSize: context.tusChunkSize,
        signal,
        fresh,
        ...observer,
      });
      return record;
    }
    // The server no longer offers tus (redeployed without our media server): a PUT still works.
  }
  await uploadWithPut(client, media, ciphertext, signal, observer);
  return record;
}

/**
 * Cancels the upload on the server (tus termination), so readers following it are told at once. A
 * direct upload (MSC3870) is cancelled the same way where the server serves tus: its media goes, and
 * whatever the URL still receives is the server's to discard.
 */
export async function terminateUpload(context: EngineContext, record: SendRecord): Promise<void> {
  if (record.contentUri === undefined || (record.uploadMethod !== 'tus' && record.uploadMethod !== 'direct')) return;
  const client = await context.clientFor(record.homeserverUrl);
  const uploadUrl = client.tusUploadUrl(await client.capabilities(), parseMxcUri(record.contentUri));
  if (uploadUrl !== undefined) await client.tusTerminate(uploadUrl);
}
