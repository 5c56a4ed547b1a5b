import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import type { MxcUri } from '../../../shared/matrix/mxc.js';
import type { CiphertextSource } from './ciphertext-source.js';
import { MatrixHttpError } from './matrix-http-error.js';
import type { CreatedMedia, DirectUploadTarget, MediaRepositoryClient } from './media-repository-client.js';
import { NetworkError } from './retry-policy.js';

/**
 * The ways bytes reach the media repository, best first (docs/PROTOCOL.md §5): tus, where the
 * server advertises it (resumable, and our media server streams it to readers as it arrives); a
 * streamed MSC2246 PUT; the classic one-shot POST. Each reads the ciphertext from a CiphertextSource,
 * which encrypts on demand, so none of them holds more than a chunk in memory. Where nobody needs to
 * stream the upload, MSC3870's presigned `upload_url` goes around the media server (`uploadDirect`).
 */

/**
 * Bytes per tus PATCH: no limit, so an attempt is one PATCH from the server's offset to the end (as
 * tus-js-client does by default). Each PATCH ends with the server syncing what it got and answering
 * before the next starts, a gap in which neither the link nor the receivers following the upload move:
 * in `npm run bench:e2e` (1 GiB, alternated single rounds) one PATCH took 1.65 / 1.57 / 1.57 × the
 * baseline's time against 1.65 / 1.71 / 2.35 with 128 MiB PATCHes; earlier, on a rate-limited link,
 * 16 MiB PATCHes uploaded at 80–105 MB/s, 64 MiB at 104–141, 256 MiB at 152–155. A PATCH costs no
 * memory whatever its size (its body is encrypted as it is sent), and a server that keeps the received
 * part of an interrupted PATCH (ours acknowledges it; tus recommends it) makes a resume re-send only
 * what was in flight. A limit is for servers behind a proxy that caps request bodies.
 */
export const DEFAULT_TUS_CHUNK_SIZE = Number.POSITIVE_INFINITY;

/** Encrypted uploads are opaque bytes; the real type travels in the E2EE event's `info.mimetype`. */
export const ENCRYPTED_CONTENT_TYPE = 'application/octet-stream';

export interface UploadObserver {
  /** Ciphertext bytes written to the connection so far (not yet acknowledged). */
  onSent?(offset: number): void;
  /** Ciphertext bytes the server has acknowledged (durably stored). */
  onAcknowledged?(offset: number): void;
}

export interface TusUploadOptions extends UploadObserver {
  readonly client: MediaRepositoryClient;
  readonly uploadUrl: string;
  readonly source: CiphertextSource;
  /** Bytes per PATCH request: the most a resume re-sends to a server that keeps no partial PATCH. */
  readonly chunkSize: number;
  readonly signal: AbortSignal;
  /**
   * The upload was just created and nothing was sent yet: declare the length at offset 0 straight
   * away instead of asking first (one round trip less before the first byte). If the server has moved
   * on after all, the usual HEAD path follows.
   */
  readonly fresh?: boolean;
}

async function declaredFresh(options: TusUploadOptions): Promise<boolean> {
  try {
    await options.client.tusDeclareLength(options.uploadUrl, 0, options.source.size, options.signal);
    return true;
  } catch (error) {
    // 409: not at offset 0 any more; 400: the length is already declared. Either way, ask.
    if (error instanceof MatrixHttpError && (error.status === 409 || error.status === 400)) return false;
    throw error;
  }
}

/**
 * One tus attempt: ask the server where it is (HEAD), declare the length if it is not yet known (so
 * readers get Content-Length and 416s from the start, rather than from tus-js-client's last PATCH),
 * then let tus-js-client PATCH the rest, chunk by chunk, from a file reader that encrypts each
 * requested range on demand. Retries are the caller's: tus-js-client's own are turned off so one
 * policy governs every upload method.
 */
export async function uploadWithTus(options: TusUploadOptions): Promise<void> {
  const { client, uploadUrl, source, signal } = options;
  if (!(options.fresh && (await declaredFresh(options)))) {
    const status = await client.tusStatus(uploadUrl, signal);
    if (status.length !== undefined && status.length !== source.size) {
      throw new MatrixHttpError(
        409,
        undefined,
        `the server holds an upload of ${status.length} bytes here, but this file encrypts to ${source.size}`,
      );
    }
    if (status.length === undefined) await client.tusDeclareLength(uploadUrl, status.offset, source.size, signal);
    options.onAcknowledged?.(status.offset);
    if (status.offset === source.size) return;
    await source.prepareRead?.(status.offset, signal);
  }
  signal.throwIfAborted();

  // A failure inside the source (the file changed, say) reaches tus-js-client only as a broken request
  // body; keep the real reason so it, not "failed to upload chunk", is what the transfer reports.
  let sourceFailure: unknown;
  // tus-js-client pipes a body stream into its request without forwarding the stream's errors, so a
  // failing source would leave the request waiting forever: abort the request ourselves.
  let currentRequest: tus.HttpRequest | undefined;
  let currentBody: Readable | undefined;
  const fileReader: tus.UploadOptions['fileReader'] = {
    openFile: async () => ({
      size: source.size,
      slice: async (start: number, end: number) => {
        const ciphertext = (async function* () {
          try {
            yield* source.read(start, end);
          } catch (error) {
            sourceFailure ??= error;
            void currentRequest?.abort();
            throw error;
          }
        })();
        // tus-js-client's Node HTTP stack streams a Readable body and takes its length from `size`.
        const value = Object.assign(Readable.from(ciphertext, { objectMode: false, highWaterMark: 1024 * 1024 }), {
          size: end - start,
        });
        value.on('error', () => undefined);
        currentBody?.destroy();
        currentBody = value;
        return { value, done: end >= source.size };
      },
      close: () => undefined,
    }),
  };

  await new Promise<void>((resolve, reject) => {
    const upload = new tus.Upload(Buffer.alloc(0), {
      uploadUrl,
      uploadSize: source.size,
      chunkSize: options.chunkSize,
      retryDelays: null,
      headers: client.authorization,
      fileReader,
      // No fingerprinting or URL storage: the engine's own records know the upload URL.
      fingerprint: async () => null as unknown as string,
      storeFingerprintForResuming: false,
      onBeforeRequest: (request) => {
        currentRequest = request;
      },
      onProgress: (sent) => options.onSent?.(sent),
      onChunkComplete: (_chunk, accepted) => options.onAcknowledged?.(accepted),
      onSuccess: () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      onError: (error) => {
        signal.removeEventListener('abort', onAbort);
        currentBody?.destroy();
        reject(sourceFailure ?? tusFailure(error));
      },
    });
    const onAbort = (): void => {
      void upload.abort(false);
      currentBody?.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    upload.start();
  });
}

/** tus-js-client's DetailedError as a MatrixHttpError (the server answered) or a NetworkError (it did not). */
function tusFailure(error: Error): Error {
  const detailed = error as Partial<tus.DetailedError>;
  const response = detailed.originalResponse;
  if (response) {
    const status = response.getStatus();
    let errcode: string | undefined;
    let says = '';
    try {
      const body = JSON.parse(response.getBody()) as { errcode?: unknown; error?: unknown; retry_after_ms?: unknown };
      if (typeof body.errcode === 'string') errcode = body.errcode;
      if (typeof body.error === 'string') says = body.error;
    } catch {
      says = response.getBody().slice(0, 200).trim();
    }
    const detail = [errcode, says].filter(Boolean).join(': ');
    return new MatrixHttpError(
      status,
      errcode,
      `uploading failed: the server answered HTTP ${status}${detail ? ` (${detail})` : ''}`,
    );
  }
  const cause = detailed.causingError ?? error;
  return new NetworkError(`uploading failed: the connection broke (${cause.message})`, { cause });
}

/** A streamed MSC2246 PUT of the whole ciphertext; not resumable, so a retry starts from zero. */
export async function uploadWithPut(
  client: MediaRepositoryClient,
  media: MxcUri,
  source: CiphertextSource,
  signal: AbortSignal,
  observer: UploadObserver = {},
): Promise<void> {
  try {
    await client.put(
      media,
      counted(source.read(0, source.size), observer),
      source.size,
      ENCRYPTED_CONTENT_TYPE,
      signal,
    );
  } catch (error) {
    // The creator's earlier attempt completed but its answer was lost: the bytes there are this file's.
    if (error instanceof MatrixHttpError && error.errcode === 'M_CANNOT_OVERWRITE_MEDIA') {
      observer.onAcknowledged?.(source.size);
      return;
    }
    throw error;
  }
  observer.onAcknowledged?.(source.size);
}

/** The presigned URL no longer takes this upload (expired, or refused): the media server's own path still does. */
export class DirectUploadUnusable extends Error {
  override name = 'DirectUploadUnusable';
}

/**
 * MSC3870: the whole ciphertext PUT straight into the storage at `upload_url`, then `/complete`. For
 * transfers nobody needs to stream (the storage holds nothing until the PUT ends), it takes the media
 * server out of the data path. Not resumable: a retry PUTs it all again. A 412 means an earlier
 * attempt's PUT arrived (the URL refuses a second one), so only `/complete` is left to do.
 */
export async function uploadDirect(
  client: MediaRepositoryClient,
  media: MxcUri,
  target: DirectUploadTarget,
  source: CiphertextSource,
  signal: AbortSignal,
  observer: UploadObserver = {},
): Promise<void> {
  try {
    await client.putDirect(target, counted(source.read(0, source.size), observer), source.size, signal);
  } catch (error) {
    if (!(error instanceof MatrixHttpError)) throw error;
    if (error.status === 403) throw new DirectUploadUnusable(error.message, { cause: error });
    if (error.status !== 412) throw error;
  }
  await client.completeDirectUpload(media, signal);
  observer.onAcknowledged?.(source.size);
}

/** The classic one-shot upload, for servers without MSC2246: the mxc URI exists only afterwards. */
export async function uploadWithPost(
  client: MediaRepositoryClient,
  source: CiphertextSource,
  signal: AbortSignal,
  observer: UploadObserver = {},
): Promise<CreatedMedia> {
  const created = await client.postUpload(
    counted(source.read(0, source.size), observer),
    source.size,
    ENCRYPTED_CONTENT_TYPE,
    undefined,
    signal,
  );
  observer.onAcknowledged?.(source.size);
  return created;
}

async function* counted(source: AsyncIterable<Buffer>, observer: UploadObserver): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const chunk of source) {
    yield chunk;
    sent += chunk.length;
    observer.onSent?.(sent);
  }
}
