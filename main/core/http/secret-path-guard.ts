import type { FetchHandler } from './fetch-handler-server.js';
import { plainRefusal as refusal, sameSecret } from './secrets.js';

/*
 * For a local server anything on the machine can reach — and any web page, by DNS rebinding — such as
 * `slipstream serve-media`: every URL starts with a secret made at each run (`/<secret>/transfer/…`,
 * printed with the URL, so a player can be given it), and on loopback the Host header must name the
 * server itself.
 */

/**
 * `handler` behind the secret path prefix; it sees the URL without the prefix. `allowedHosts` (the
 * server's own `host:port` names) is checked when given.
 */
export function guardedBySecretPath(
  handler: FetchHandler,
  secret: string,
  allowedHosts: () => readonly string[] | undefined,
): FetchHandler {
  return async (request) => {
    const hosts = allowedHosts();
    const host = request.headers.get('host')?.toLowerCase();
    if (hosts && (host === undefined || !hosts.includes(host))) {
      return refusal(421, `this server answers only as ${hosts.join(' or ')}, not ${host ?? 'no host'}`);
    }
    const url = new URL(request.url);
    const [, first = '', ...rest] = url.pathname.split('/');
    if (!sameSecret(first, secret)) return refusal(404, 'nothing here: use the address the server printed');
    url.pathname = `/${rest.join('/')}`;
    return handler(new Request(url, request));
  };
}
