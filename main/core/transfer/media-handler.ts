import { CodecError } from '../../../shared/msc4016/codec-error.js';
import type { FetchHandler } from '../http/fetch-handler-server.js';
import { resolveByteRange } from '../../../shared/http/byte-range.js';
import { safeFileName } from '../../../shared/transfer/safe-file-name.js';
import { MatrixHttpError } from './matrix-http-error.js';
import { NotYetAvailableError, openPlaintextAccess } from './plaintext-access.js';
import { TransferError } from './transfer-error.js';
import { transferIdOf } from './media-url.js';
import type { TransferEngine } from './transfer-engine.js';

export interface MediaHandlerOptions {
  /** How long a request for bytes not yet uploaded (or downloaded) waits before a 504. */
  readonly waitTimeoutMs?: number;
}

function plain(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** An error before the first byte, as a status a player (and a person reading the log) understands. */
function errorResponse(error: unknown): Response {
  if (error instanceof NotYetAvailableError) return plain(504, error.message, { 'Retry-After': '1' });
  if (error instanceof CodecError) {
    return plain(502, `the bytes from the server failed authentication: ${error.message} [${error.code}]`);
  }
  if (error instanceof TransferError) return plain(502, `${error.message} [${error.code}]`);
  if (error instanceof MatrixHttpError) return plain(error.status === 404 ? 404 : 502, error.message);
  if ((error as Error)?.name === 'AbortError') return plain(499, 'the request was cancelled');
  return plain(500, (error as Error)?.message ?? String(error));
}

/** A pull-driven body: the next piece is decrypted only when the consumer asks, so a slow player holds nothing extra. */
function bodyOf(first: Buffer, rest: AsyncGenerator<Buffer>): ReadableStream<Uint8Array> {
  let pending: Buffer | undefined = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        try {
          const { value, done } = await rest.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          // After the headers, the only honest signal is a broken body: never a clean short end.
          controller.error(error);
        }
      },
      async cancel() {
        await rest.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Serves the decrypted bytes of any transfer, sending or receiving, by transfer id: GET and HEAD,
 * single byte ranges (206 with Content-Range, 416 when unsatisfiable), the type from the event.
 * Bytes come from the local file when it has them and otherwise from the server, fetching only the
 * blocks a range needs; a range beyond what the sender has uploaded waits for it, up to the timeout.
 */
export function createMediaHandler(engine: TransferEngine, options: MediaHandlerOptions = {}): FetchHandler {
  const waitTimeoutMs = options.waitTimeoutMs ?? 20_000;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(405, `${request.method} is not supported here`, { Allow: 'GET, HEAD' });
    }
    const id = transferIdOf(new URL(request.url));
    let access;
    try {
      access = id === undefined ? undefined : await openPlaintextAccess(engine, id, waitTimeoutMs);
    } catch (error) {
      return errorResponse(error);
    }
    if (access === undefined) return plain(404, 'there is no such transfer');
    const { size, record } = access;
    const headers: Record<string, string> = {
      'Content-Type': record.mimetype,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(safeFileName(record.fileName))}`,
    };
    const range = resolveByteRange(request.headers.get('Range'), size);
    if (range.kind === 'unsatisfiable') {
      return plain(416, `the range lies outside the ${size} bytes of this file`, {
        'Content-Range': `bytes */${size}`,
      });
    }
    const [first, last] = range.kind === 'partial' ? [range.first, range.last] : [0, size - 1];
    const status = range.kind === 'partial' ? 206 : 200;
    headers['Content-Length'] = String(last - first + 1);
    if (status === 206) headers['Content-Range'] = `bytes ${first}-${last}/${size}`;
    if (request.method === 'HEAD' || size === 0) return new Response(null, { status, headers });

    const pieces = access.read(first, last, request.signal);
    let opening: IteratorResult<Buffer>;
    try {
      // Wait for the first piece before answering, so a failure can still be a proper status.
      opening = await pieces.next();
    } catch (error) {
      return errorResponse(error);
    }
    if (opening.done) return plain(500, 'no bytes were produced for the range');
    return new Response(bodyOf(opening.value, pieces), { status, headers });
  };
}
