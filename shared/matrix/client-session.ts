/*
 * Finding a homeserver and signing in and out over the client-server API (Matrix spec: "Server
 * discovery", "Login", "Logout", "whoami"), for the app's sign-in and the CLI's `login`, with every
 * failure put into a sentence a person can act on. HTTP is injected (the browser's fetch or Node's),
 * so this runs in every process; timeouts are the injected function's.
 */

/** What this module needs of a response. */
export interface HttpAnswer {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

export interface HttpRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Makes one request. Rejects when nothing answered; a rejection whose `name` is `TimeoutError` (as
 * `AbortSignal.timeout` gives) means the server did not answer in time.
 */
export type MatrixFetch = (url: string, request?: HttpRequest) => Promise<HttpAnswer>;

/** A failure to find, reach or use a homeserver, in words a person can act on. */
export class MatrixRequestError extends Error {
  constructor(
    /** A Matrix errcode (M_FORBIDDEN …) or one of ours: UNREACHABLE, NOT_MATRIX, TIMEOUT, INVALID_ADDRESS, … */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MatrixRequestError';
  }
}

/** A signed-in device, as the app and the CLI keep it (sealed) in their state. */
export interface MatrixSession {
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
}

interface ParsedUrl {
  readonly protocol: string;
  readonly hostname: string;
  readonly origin: string;
  readonly pathname: string;
}
/**
 * The WHATWG URL parser, which every runtime Slipstream runs in has (browsers, Node, Electron); shared/
 * is type-checked without any runtime's globals, so it is reached through globalThis with the shape used.
 */
const parseUrl = (text: string): ParsedUrl =>
  new (globalThis as unknown as { URL: new (text: string) => ParsedUrl }).URL(text);

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Loopback names, reached over http (development servers); nothing else is reached over http. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

const isLoopback = (hostname: string): boolean => LOOPBACK_HOST.test(hostname);

/** Where a URL points, for messages: the origin and any path prefix, without the endpoint. */
const describeServer = (url: string): string => url.replace(/\/+$/, '');

async function request(http: MatrixFetch, server: string, url: string, init?: HttpRequest): Promise<HttpAnswer> {
  try {
    return await http(url, init);
  } catch (error) {
    if ((error as { name?: unknown })?.name === 'TimeoutError') {
      throw new MatrixRequestError(
        'TIMEOUT',
        `${describeServer(server)} did not answer in time. Check the address, or try again later.`,
      );
    }
    throw new MatrixRequestError(
      'UNREACHABLE',
      `Cannot reach ${describeServer(server)}. Check the address, that the server is running, and that you are online.`,
    );
  }
}

/** The JSON object of a response, or undefined when it is not one (an HTML error page, say). */
async function jsonOf(answer: HttpAnswer): Promise<Record<string, unknown> | undefined> {
  try {
    const body = await answer.json();
    return typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const text = (body: Record<string, unknown> | undefined, key: string): string | undefined =>
  typeof body?.[key] === 'string' ? (body[key] as string) : undefined;

/** A base URL as typed: http(s) only, plain http only on this machine, no query or fragment. */
export function parseHomeserverUrl(typed: string): string {
  let url: ParsedUrl;
  try {
    url = parseUrl(typed);
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

async function wellKnownBaseUrl(http: MatrixFetch, origin: string): Promise<string | undefined> {
  let answer: HttpAnswer;
  try {
    answer = await http(`${origin}/.well-known/matrix/client`);
  } catch {
    // Nothing answers at the name itself: the versions check that follows says so in words.
    return undefined;
  }
  if (!answer.ok) return undefined;
  const homeserver = (await jsonOf(answer))?.['m.homeserver'];
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

/** Fails, in words, unless `baseUrl` answers as a Matrix homeserver (`/_matrix/client/versions`). */
export async function assertMatrixHomeserver(http: MatrixFetch, baseUrl: string): Promise<void> {
  const answer = await request(http, baseUrl, `${baseUrl}/_matrix/client/versions`);
  const body = answer.ok ? await jsonOf(answer) : undefined;
  if (!Array.isArray(body?.['versions'])) {
    throw new MatrixRequestError(
      'NOT_MATRIX',
      `${describeServer(baseUrl)} answered, but it is not a Matrix homeserver${answer.ok ? '' : ` (HTTP ${answer.status})`}. Check the address.`,
    );
  }
}

/**
 * The homeserver's base URL for what a person typed: a URL is used as it is; a server name
 * (example.org) is asked where its homeserver lives (`/.well-known/matrix/client`) and is itself the
 * homeserver when it does not say. Either way the result must answer as a Matrix homeserver.
 */
export async function resolveHomeserver(http: MatrixFetch, typed: string): Promise<string> {
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
    const named = isLoopback(parseUrl(origin).hostname) ? origin.replace(/^https:/, 'http:') : origin;
    baseUrl = (await wellKnownBaseUrl(http, named)) ?? named;
  }
  await assertMatrixHomeserver(http, baseUrl);
  return baseUrl;
}

/** The server name of a full Matrix ID (`@alice:example.org` → `example.org`), if that is what was typed. */
export function serverNameOf(userId: string): string | undefined {
  const match = /^@[^:\s]+:(\S+)$/.exec(userId.trim());
  return match?.[1];
}

function loginRefusal(code: string, body: Record<string, unknown> | undefined, status: number): string {
  switch (code) {
    case 'M_FORBIDDEN':
      return 'Wrong username or password.';
    case 'M_USER_DEACTIVATED':
      return 'This account has been deactivated on its homeserver.';
    case 'M_LIMIT_EXCEEDED': {
      const wait = typeof body?.['retry_after_ms'] === 'number' ? Math.ceil(body['retry_after_ms'] / 1000) : undefined;
      return `Too many sign-in attempts. ${wait ? `Wait ${wait} s` : 'Wait a little'} and try again.`;
    }
    default:
      return `The homeserver refused to sign you in: ${text(body, 'error') ?? `HTTP ${status}`}${code ? ` (${code})` : ''}.`;
  }
}

export interface PasswordLogin {
  readonly homeserverUrl: string;
  /** A localpart (`alice`) or a full Matrix ID (`@alice:example.org`). */
  readonly username: string;
  readonly password: string;
  /** How the new device is named in the account's device list. */
  readonly deviceName: string;
}

/** Signs in with a password; a new device of the account. */
export async function passwordLogin(http: MatrixFetch, login: PasswordLogin): Promise<MatrixSession> {
  const user = login.username.trim();
  if (!user)
    throw new MatrixRequestError('INVALID_USERNAME', 'Enter your username, such as alice or @alice:example.org.');
  if (!login.password) throw new MatrixRequestError('INVALID_PASSWORD', 'Enter your password.');
  const { homeserverUrl } = login;
  const answer = await request(http, homeserverUrl, `${homeserverUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: login.password,
      initial_device_display_name: login.deviceName,
    }),
  });
  const body = await jsonOf(answer);
  if (!answer.ok) {
    const code = text(body, 'errcode') ?? '';
    throw new MatrixRequestError(code || 'LOGIN_FAILED', loginRefusal(code, body, answer.status));
  }
  const [userId, accessToken, deviceId] = [text(body, 'user_id'), text(body, 'access_token'), text(body, 'device_id')];
  if (userId === undefined || accessToken === undefined || deviceId === undefined) {
    throw new MatrixRequestError(
      'NOT_MATRIX',
      `${describeServer(homeserverUrl)} answered the sign-in with something that is not a Matrix session.`,
    );
  }
  return { homeserverUrl, userId, deviceId, accessToken };
}

/** Ends the device's session on the homeserver. A token it no longer knows is already signed out. */
export async function logout(http: MatrixFetch, session: MatrixSession): Promise<void> {
  const answer = await request(http, session.homeserverUrl, `${session.homeserverUrl}/_matrix/client/v3/logout`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${session.accessToken}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (answer.ok || answer.status === 401) return;
  const body = await jsonOf(answer);
  throw new MatrixRequestError(
    text(body, 'errcode') ?? 'LOGOUT_FAILED',
    `The homeserver did not end this device's session: ${text(body, 'error') ?? `HTTP ${answer.status}`}.`,
  );
}

/** Who the session's token belongs to, as the homeserver says; refuses a token it no longer accepts. */
export async function whoami(
  http: MatrixFetch,
  session: MatrixSession,
): Promise<{ userId: string; deviceId?: string }> {
  const answer = await request(
    http,
    session.homeserverUrl,
    `${session.homeserverUrl}/_matrix/client/v3/account/whoami`,
    {
      headers: { Authorization: `Bearer ${session.accessToken}` },
    },
  );
  const body = await jsonOf(answer);
  if (answer.status === 401) {
    throw new MatrixRequestError(
      text(body, 'errcode') ?? 'M_UNKNOWN_TOKEN',
      `${describeServer(session.homeserverUrl)} no longer accepts this device's token (it was signed out elsewhere). Sign in again.`,
    );
  }
  const userId = text(body, 'user_id');
  if (!answer.ok || userId === undefined) {
    throw new MatrixRequestError(
      text(body, 'errcode') ?? 'WHOAMI_FAILED',
      `${describeServer(session.homeserverUrl)} did not say who this device is: ${text(body, 'error') ?? `HTTP ${answer.status}`}.`,
    );
  }
  const deviceId = text(body, 'device_id');
  return { userId, ...(deviceId !== undefined && { deviceId }) };
}
