import { limitExceeded, MatrixError } from '../http/matrix-error.js';
import type { RateLimiter } from '../rate-limiter.js';
import { unknownToken, type AccessTokenVerifier } from './access-token-verifier.js';

/**
 * Access tokens checked with failed authentications limited per client address, so junk tokens cannot
 * turn this server into a free amplifier of `whoami` calls to the homeserver. A check the verifier
 * cannot answer from its cache of valid tokens takes one token from the address's bucket before the
 * homeserver is asked (so junk sent all at once cannot run ahead of the count) and gives it back when
 * the token turns out valid: only failures use the bucket up. A token already known to be valid is never
 * limited, so an address that sends junk does not lock out a session in use there; and requests that
 * arrive together with the same new token (a player opening many ranges) share one check.
 */
export class TokenAuthenticator {
  private readonly checking = new Map<string, Promise<string>>();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly failures: RateLimiter,
  ) {}

  async userOf(accessToken: string, clientAddress: string): Promise<string> {
    const known = this.verifier.known(accessToken);
    if (typeof known === 'string') return known;
    const inFlight = this.checking.get(accessToken);
    if (inFlight) return inFlight;
    const retryAfterMs = this.failures.take(clientAddress);
    if (retryAfterMs > 0) {
      throw limitExceeded('Too many failed authentications from this address; try again later', retryAfterMs);
    }
    if (known === null) throw unknownToken();
    const check = this.check(accessToken, clientAddress).finally(() => this.checking.delete(accessToken));
    this.checking.set(accessToken, check);
    return check;
  }

  private async check(accessToken: string, clientAddress: string): Promise<string> {
    try {
      const userId = await this.verifier.verify(accessToken);
      this.failures.giveBack(clientAddress);
      return userId;
    } catch (error) {
      // Only a rejected token is a failed authentication; a homeserver that cannot answer is not the client's doing.
      if (!(error instanceof MatrixError && error.errcode === 'M_UNKNOWN_TOKEN')) this.failures.giveBack(clientAddress);
      throw error;
    }
  }
}
