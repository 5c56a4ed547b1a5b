/** A failure to sign in or out, in words a person can act on. */
export class MatrixRequestError extends Error {
  constructor(
    /** A Matrix errcode (M_FORBIDDEN …) or one of ours: UNREACHABLE, NOT_MATRIX, TIMEOUT, INVALID_ADDRESS. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MatrixRequestError';
  }
}

const TIMEOUT_MS = 20_000;

/** Where a URL points, for messages: the origin and any path prefix, without the endpoint. */
export function describeServer(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * fetch() with the two failures every Matrix call shares put into words: nothing answered (a wrong
 * address, the server down, offline), or it did not answer in time.
 */
export async function fetchFromServer(server: string, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS), cache: 'no-store' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      throw new MatrixRequestError(
        'TIMEOUT',
        `${describeServer(server)} did not answer within ${TIMEOUT_MS / 1000} s. Check the address, or try again later.`,
      );
    }
    throw new MatrixRequestError(
      'UNREACHABLE',
      `Cannot reach ${describeServer(server)}. Check the address and that you are online.`,
    );
  }
}

/** The JSON body of a response, or undefined when it is not JSON (an HTML error page, say). */
export async function jsonOf(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
