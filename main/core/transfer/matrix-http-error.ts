import type { HttpResponse } from './http-transport.js';

/**
 * A refusal from a Matrix server: HTTP status, `errcode`, the server's words, and `retry_after_ms`
 * for rate limits. `transient` says whether waiting and trying again can help.
 */
export class MatrixHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
    /** The server's own words (the body's `error`), when it gave any. */
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'MatrixHttpError';
  }

  /** Rate limits, the MSC2246 "not yet uploaded" answer, server errors and gateway failures. */
  get transient(): boolean {
    return this.status === 429 || this.status === 504 || this.status >= 500 || this.status === 408;
  }
}

/** What matrixHttpErrorOf reads of a response. */
export type HttpAnswer = Pick<HttpResponse, 'status' | 'header' | 'text'>;

/** Reads a failed response's Matrix error body (or whatever it is) into a MatrixHttpError. */
export async function matrixHttpErrorOf(response: HttpAnswer, doing: string): Promise<MatrixHttpError> {
  let errcode: string | undefined;
  let serverSays = '';
  let retryAfterMs: number | undefined;
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { errcode?: unknown; error?: unknown; retry_after_ms?: unknown };
      if (typeof body.errcode === 'string') errcode = body.errcode;
      if (typeof body.error === 'string') serverSays = body.error;
      if (typeof body.retry_after_ms === 'number') retryAfterMs = body.retry_after_ms;
    } catch {
      serverSays = text.slice(0, 200).trim();
    }
  } catch {
    // The body could not be read; the status says enough.
  }
  const retryAfter = Number(response.header('Retry-After'));
  if (retryAfterMs === undefined && Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
  const detail = [errcode, serverSays].filter(Boolean).join(': ');
  return new MatrixHttpError(
    response.status,
    errcode,
    `${doing} failed: the server answered HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
    retryAfterMs,
    serverSays || undefined,
  );
}
