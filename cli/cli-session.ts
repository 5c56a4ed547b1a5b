import { join } from 'node:path';
import { SessionVault } from '../main/core/app/session-vault.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import type { MediaAccess } from '../main/core/transfer/transfer-engine.js';
import {
  assertMatrixHomeserver,
  type MatrixFetch,
  MatrixRequestError,
  type MatrixSession,
  parseHomeserverUrl,
} from '../shared/matrix/client-session.js';
import { CliError, USAGE_EXIT } from './cli-error.js';

/** Node's fetch for the client-server calls: no answer within 10 s counts as none. */
export const nodeMatrixFetch: MatrixFetch = (url, request = {}) =>
  fetch(url, { ...request, signal: AbortSignal.timeout(10_000) });

/** The signed-in session of `slipstream login`, sealed in the CLI's state directory like transfer keys. */
export function cliSessionVault(stateDir: string): SessionVault {
  return new SessionVault(
    join(stateDir, 'session.sealed'),
    new FileSecretStore(join(stateDir, 'secret-store.key')),
    (line) => process.stderr.write(`slipstream: ${line}\n`),
  );
}

export function cliErrorOf(error: unknown): unknown {
  return error instanceof MatrixRequestError ? new CliError(`${error.message} [${error.code}]`) : error;
}

/** --homeserver as given: https, or plain http only on this machine (a token never crosses a network in the clear). */
function checkedUrl(text: string): string {
  try {
    return parseHomeserverUrl(text);
  } catch (error) {
    throw new CliError(`--homeserver: ${(error as Error).message}`, USAGE_EXIT);
  }
}

/**
 * Which homeserver and token a transfer command uses: `--token` (or SLIPSTREAM_ACCESS_TOKEN) with
 * `--homeserver`, or else the session `slipstream login` saved. Undefined when neither is there and
 * none is required.
 */
export async function accessFrom(
  values: { homeserver?: string; token?: string },
  stateDir: string,
  required: boolean,
): Promise<MediaAccess | undefined> {
  // An empty variable is no token (a script that exports SLIPSTREAM_ACCESS_TOKEN= to clear it).
  const token = values.token ?? (process.env['SLIPSTREAM_ACCESS_TOKEN'] || undefined);
  if (token !== undefined) {
    if (values.homeserver === undefined) throw new CliError('--token needs --homeserver <url> beside it', USAGE_EXIT);
    return { homeserverUrl: checkedUrl(values.homeserver), accessToken: token };
  }
  const session: MatrixSession | null = await cliSessionVault(stateDir).load();
  if (session) {
    if (values.homeserver !== undefined && checkedUrl(values.homeserver) !== session.homeserverUrl) {
      throw new CliError(
        `you are signed in to ${session.homeserverUrl}, not ${values.homeserver}: sign in there (slipstream login), or pass --token`,
        USAGE_EXIT,
      );
    }
    return { homeserverUrl: session.homeserverUrl, accessToken: session.accessToken };
  }
  if (!required) return undefined;
  throw new CliError(
    'not signed in: run `slipstream login --homeserver <url> --user <name>` first, or pass --homeserver and --token',
    USAGE_EXIT,
  );
}

/**
 * Before a transfer starts: the homeserver answers as one, or the command stops at once with a
 * sentence naming it. Retries and backoff are for a server that was reached and then lost, not for a
 * wrong address or a server that is not running.
 */
export async function assertReachable(homeserverUrl: string): Promise<void> {
  try {
    await assertMatrixHomeserver(nodeMatrixFetch, homeserverUrl);
  } catch (error) {
    throw cliErrorOf(error);
  }
}
