import { bearerOf, sameSecret } from '../http/secrets.js';

/*
 * Who may talk to the browser host. It listens on 127.0.0.1 only, but every program and every web page
 * the user opens can reach 127.0.0.1, so the address alone proves nothing:
 * - a random launch key, printed in the URL, is traded once per browser for an HttpOnly, SameSite=Strict
 *   cookie; every other request needs that cookie;
 * - the Host header must name the host itself, which defeats DNS rebinding (evil.example resolving to
 *   127.0.0.1 sends `Host: evil.example`);
 * - cookies are shared by every port of 127.0.0.1 and SameSite treats them all as one site, so a page
 *   served from another local port would send the cookie along: requests whose Origin is not the
 *   host's own, or that the browser marks as coming from another origin (Sec-Fetch-Site), are refused.
 */

export interface GuardedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type Verdict =
  { readonly allowed: true } | { readonly allowed: false; readonly status: number; readonly reason: string };

const ALLOWED: Verdict = { allowed: true };

function header(request: GuardedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The cookie's name carries the port: cookies do not keep ports apart, and two hosts may run at once. */
export function cookieNameFor(port: number): string {
  return `slipstream-host-${port}`;
}

function cookieValue(request: GuardedRequest, name: string): string | undefined {
  const cookies = header(request, 'cookie');
  if (!cookies) return undefined;
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export class RequestGuard {
  readonly cookieName: string;
  private readonly hosts: readonly string[];
  private readonly sessions = new Set<string>();

  constructor(
    readonly port: number,
    private readonly launchKey: string,
  ) {
    this.cookieName = cookieNameFor(port);
    this.hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  }

  /** The checks every request passes before anything else: its Host, its Origin, where the browser says it came from. */
  checkOrigin(request: GuardedRequest, { requireOrigin = false } = {}): Verdict {
    const host = header(request, 'host');
    if (host === undefined || !this.hosts.includes(host.toLowerCase())) {
      return {
        allowed: false,
        status: 421,
        reason: `this is Slipstream's host on port ${this.port}; requests for ${host ?? 'no host'} are refused`,
      };
    }
    const origin = header(request, 'origin');
    if (origin !== undefined && origin !== `http://${host.toLowerCase()}`) {
      return {
        allowed: false,
        status: 403,
        reason: `requests from ${origin} are refused: only Slipstream's own page may use this host`,
      };
    }
    if (requireOrigin && origin === undefined) {
      return { allowed: false, status: 403, reason: 'a connection without an Origin is refused' };
    }
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return {
        allowed: false,
        status: 403,
        reason: `requests from another ${site === 'same-site' ? 'port or page of this machine' : 'site'} are refused`,
      };
    }
    return ALLOWED;
  }

  /** Whether the launch key given in the URL is this launch's. */
  acceptsLaunchKey(key: string | null): boolean {
    return key !== null && sameSecret(key, this.launchKey);
  }

  /** A new browser session after a valid launch key: the Set-Cookie header to answer with. */
  openSession(token: string): string {
    this.sessions.add(token);
    return `${this.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Whether the request carries a session this launch opened. */
  hasSession(request: GuardedRequest): boolean {
    const token = cookieValue(request, this.cookieName);
    if (token === undefined) return false;
    for (const session of this.sessions) if (sameSecret(token, session)) return true;
    return false;
  }

  /** A second launch of the host hands its files over with the launch key itself (read from the lock file). */
  hasLaunchKey(request: GuardedRequest): boolean {
    const given = bearerOf(header(request, 'authorization'));
    return given !== undefined && sameSecret(given, this.launchKey);
  }
}
