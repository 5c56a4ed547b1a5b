import type { ServerResponse } from 'node:http';

/** A refusal answered as Matrix JSON `{errcode, error}` with its HTTP status. */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
  }
}

export const notFound = (message = 'Media not found'): MatrixError => new MatrixError(404, 'M_NOT_FOUND', message);
export const forbidden = (message: string): MatrixError => new MatrixError(403, 'M_FORBIDDEN', message);
export const invalidParam = (message: string): MatrixError => new MatrixError(400, 'M_INVALID_PARAM', message);
export const limitExceeded = (message: string, retryAfterMs: number): MatrixError =>
  new MatrixError(
    429,
    'M_LIMIT_EXCEEDED',
    message,
    { retry_after_ms: retryAfterMs },
    { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) },
  );
export const tooLarge = (limit: number): MatrixError =>
  new MatrixError(413, 'M_TOO_LARGE', `The upload is larger than this server's limit of ${limit} bytes`);

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

export function sendMatrixError(res: ServerResponse, error: MatrixError): void {
  sendJson(res, error.status, { errcode: error.errcode, error: error.message, ...error.extra }, error.headers);
}

/**
 * A Matrix error written straight onto a connection that has no request to answer through Node's HTTP
 * server (a malformed request, a connection refused on arrival), then closed.
 */
export function endConnectionWithMatrixError(
  socket: { writable: boolean; end(data: string): unknown; destroy(): unknown },
  error: MatrixError,
  reason: string,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ errcode: error.errcode, error: error.message, ...error.extra });
  const headers = Object.entries(error.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
  );
}
