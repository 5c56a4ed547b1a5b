import { describeServer, fetchFromServer, jsonOf, MatrixRequestError } from './matrix-http';

/*
 * From what a person types in the Homeserver field to a homeserver's base URL (Matrix spec, client-server
 * API, "Server discovery"): a URL is used as it is; a server name (example.org) is asked where its
 * homeserver lives through /.well-known/matrix/client, and is itself the homeserver when it does not say.
 * Either way the result must answer /_matrix/client/versions, or it is not a Matrix homeserver.
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Loopback names, reached over http (development servers); the page may reach nothing else over http. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

/** A base URL as typed: http(s) only, http only on this machine, no query or fragment. */
export function parseHomeserverUrl(typed: string): string {
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new MatrixRequestError('INVALID_ADDRESS', `"${typed}" is not a web address. Try https://matrix.example.org.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MatrixRequestError(
      'INVALID_ADDRESS',
      `Homeservers are reached over https, not ${url.protocol.slice(0, -1)}.`,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new MatrixRequestError(
      'INVALID_ADDRESS',
      'Slipstream reaches homeservers over https only (plain http only on this machine, for development). Use https://.',
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

async function wellKnownBaseUrl(origin: string): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetchFromServer(origin, `${origin}/.well-known/matrix/client`);
  } catch {
    // Nothing answers at the name itself: the versions check below says so in words.
    return undefined;
  }
  if (!response.ok) return undefined;
  const body = await jsonOf(response);
  const homeserver = body?.['m.homeserver'];
  const baseUrl =
    typeof homeserver === 'object' && homeserver !== null
      ? (homeserver as Record<string, unknown>)['base_url']
      : undefined;
  if (typeof baseUrl !== 'string') {
    throw new MatrixRequestError(
      'NOT_MATRIX',
      `${origin} publishes a Matrix client configuration that names no homeserver. Enter your homeserver's address instead.`,
    );
  }
  return parseHomeserverUrl(baseUrl);
}

/** Fails unless `baseUrl` answers as a Matrix homeserver. */
export async function assertMatrixHomeserver(baseUrl: string): Promise<void> {
  const response = await fetchFromServer(baseUrl, `${baseUrl}/_matrix/client/versions`);
  const body = response.ok ? await jsonOf(response) : undefined;
  if (!Array.isArray(body?.['versions'])) {
    throw new MatrixRequestError(
      'NOT_MATRIX',
      `${describeServer(baseUrl)} answered, but it is not a Matrix homeserver${response.ok ? '' : ` (HTTP ${response.status})`}. Check the address.`,
    );
  }
}

/** The homeserver's base URL for what was typed: a URL, or a server name to discover. */
export async function resolveHomeserver(typed: string): Promise<string> {
  const input = typed.trim();
  if (!input) {
    throw new MatrixRequestError(
      'INVALID_ADDRESS',
      'Enter your homeserver: its address (https://matrix.example.org) or its server name (example.org).',
    );
  }
  let baseUrl: string;
  if (SCHEME.test(input)) {
    baseUrl = parseHomeserverUrl(input);
  } else {
    const name = input.replace(/\/+$/, '');
    if (/[\s/?#@]/.test(name)) {
      throw new MatrixRequestError('INVALID_ADDRESS', `"${input}" is neither a server name nor a web address.`);
    }
    const origin = parseHomeserverUrl(`https://${name}`);
    const hostname = new URL(origin).hostname;
    const named = isLoopback(hostname) ? origin.replace(/^https:/, 'http:') : origin;
    baseUrl = (await wellKnownBaseUrl(named)) ?? named;
  }
  await assertMatrixHomeserver(baseUrl);
  return baseUrl;
}
