import type { IncomingMessage } from 'node:http';
import type { Clock } from '../clock.js';
import { MatrixError } from '../http/matrix-error.js';

/** Who an access token belongs to; throws a MatrixError (401 M_UNKNOWN_TOKEN, 502, …) otherwise. */
export interface AccessTokenVerifier {
  verify(accessToken: string): Promise<string>;
  /** The answer already known without asking: the user, null for a rejected token, undefined if unknown. */
  known(accessToken: string): string | null | undefined;
}

export const unknownToken = (): MatrixError =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or expired access token');

export const missingToken = (): MatrixError =>
  new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token', {}, { 'WWW-Authenticate': 'Bearer' });

/**
 * The token of a request. The query parameter is deprecated (client-server spec v1.11); it is accepted
 * only where the caller says the endpoint still allows it (the legacy /_matrix/media/v3 paths).
 */
export function accessTokenOf(req: IncomingMessage, url: URL, allowQueryParameter: boolean): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new MatrixError(401, 'M_MISSING_TOKEN', 'The Authorization header must be "Bearer <token>"');
    return match[1];
  }
  return allowQueryParameter ? (url.searchParams.get('access_token') ?? undefined) : undefined;
}

export interface WhoamiVerifierOptions {
  /** The homeserver's client-server API base URL, e.g. http://127.0.0.1:8008. */
  homeserverUrl: string;
  clock: Clock;
  /** How long an answer is trusted; a logged-out token keeps working this long at most. */
  cacheTtlMs?: number;
  cacheSize?: number;
  /** Rejected tokens are remembered in a cache of their own, this large. */
  rejectedCacheSize?: number;
  requestTimeoutMs?: number;
}

/** A bounded map of answers that expire: the oldest entry goes first when it is full. */
class AnswerCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(private readonly size: number) {}

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, expiresAt: number): void {
    this.entries.delete(key);
    // Map iteration order is insertion order: the first key is the oldest entry.
    if (this.entries.size >= this.size) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt });
  }
}

/**
 * Asks the homeserver's `GET /_matrix/client/v3/account/whoami` and caches the answer briefly, so a
 * reader re-requesting ranges during a seek does not cost a homeserver round trip each time. Rejected
 * tokens are cached apart from valid ones: junk, however much of it, never pushes a valid token out.
 */
export class WhoamiVerifier implements AccessTokenVerifier {
  private readonly accepted: AnswerCache<string>;
  private readonly rejected: AnswerCache<true>;
  private readonly ttl: number;

  constructor(private readonly options: WhoamiVerifierOptions) {
    this.ttl = options.cacheTtlMs ?? 30_000;
    this.accepted = new AnswerCache(options.cacheSize ?? 10_000);
    this.rejected = new AnswerCache(options.rejectedCacheSize ?? 1_000);
  }

  known(accessToken: string): string | null | undefined {
    const now = this.options.clock.now();
    return this.accepted.get(accessToken, now) ?? (this.rejected.get(accessToken, now) ? null : undefined);
  }

  async verify(accessToken: string): Promise<string> {
    const known = this.known(accessToken);
    if (known === null) throw unknownToken();
    if (known !== undefined) return known;
    const userId = await this.ask(accessToken);
    const expiresAt = this.options.clock.now() + this.ttl;
    if (userId === null) {
      this.rejected.set(accessToken, true, expiresAt);
      throw unknownToken();
    }
    this.accepted.set(accessToken, userId, expiresAt);
    return userId;
  }

  /** The user ID, null for a token the homeserver rejects; throws when the homeserver cannot answer. */
  private async ask(accessToken: string): Promise<string | null> {
    let response: Response;
    try {
      response = await fetch(new URL('/_matrix/client/v3/account/whoami', this.options.homeserverUrl), {
        headers: { Authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new MatrixError(
        502,
        'M_UNKNOWN',
        `The homeserver could not be asked who the token belongs to: ${String(error)}`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as { user_id?: unknown; errcode?: unknown } | undefined;
    if (response.ok && typeof body?.user_id === 'string') return body.user_id;
    if (response.status === 401 || response.status === 403) return null;
    throw new MatrixError(502, 'M_UNKNOWN', `The homeserver answered whoami with HTTP ${response.status}`);
  }
}
