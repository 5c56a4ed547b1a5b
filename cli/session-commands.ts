import { parseArgs } from 'node:util';
import {
  logout,
  type MatrixSession,
  passwordLogin,
  resolveHomeserver,
  serverNameOf,
  whoami,
} from '../shared/matrix/client-session.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { cliErrorOf, cliSessionVault, nodeMatrixFetch } from './cli-session.js';
import { promptPassword, readPasswordFromStdin } from './password-prompt.js';
import { printUsage } from './usage.js';

/** The state directory option every session command takes. */
const stateOption = { 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } as const;

export async function loginCommand(argv: string[], stateDir: (given?: string) => string): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...stateOption,
      homeserver: { type: 'string' },
      user: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  if (values.help) return printUsage('login');
  if (values.user === undefined) throw new CliError('login needs --user <name> (or your full Matrix ID)', USAGE_EXIT);
  const typed = values.homeserver ?? serverNameOf(values.user);
  if (typed === undefined) {
    throw new CliError('login needs --homeserver <url or server name>, unless --user is a full Matrix ID', USAGE_EXIT);
  }
  try {
    const homeserverUrl = await resolveHomeserver(nodeMatrixFetch, typed);
    const password = values['password-stdin']
      ? await readPasswordFromStdin()
      : await promptPassword(`Password for ${values.user} on ${homeserverUrl}: `);
    const session = await passwordLogin(nodeMatrixFetch, {
      homeserverUrl,
      username: values.user,
      password,
      deviceName: 'Slipstream (command line)',
    });
    await cliSessionVault(stateDir(values['state-dir'])).save(session);
    process.stdout.write(`signed in as ${session.userId} on ${session.homeserverUrl} (device ${session.deviceId})\n`);
  } catch (error) {
    throw cliErrorOf(error);
  }
}

async function savedSession(stateDir: string): Promise<MatrixSession> {
  const session = await cliSessionVault(stateDir).load();
  if (!session) throw new CliError('not signed in: run `slipstream login --homeserver <url> --user <name>`');
  return session;
}

export async function whoamiCommand(argv: string[], stateDir: (given?: string) => string): Promise<void> {
  const { values } = parseArgs({ args: argv, options: stateOption });
  if (values.help) return printUsage('whoami');
  const session = await savedSession(stateDir(values['state-dir']));
  try {
    const answer = await whoami(nodeMatrixFetch, session);
    process.stdout.write(
      `${answer.userId} on ${session.homeserverUrl} (device ${answer.deviceId ?? session.deviceId})\n`,
    );
  } catch (error) {
    throw cliErrorOf(error);
  }
}

export async function logoutCommand(argv: string[], stateDir: (given?: string) => string): Promise<void> {
  const { values } = parseArgs({ args: argv, options: stateOption });
  if (values.help) return printUsage('logout');
  const vault = cliSessionVault(stateDir(values['state-dir']));
  const session = await savedSession(stateDir(values['state-dir']));
  let serverFailure: unknown;
  try {
    await logout(nodeMatrixFetch, session);
  } catch (error) {
    serverFailure = error;
  }
  // Signed out here whatever the server said: the token is gone from this machine.
  await vault.clear();
  if (serverFailure) {
    throw new CliError(
      `signed out on this machine, but ${(cliErrorOf(serverFailure) as Error).message}; the device ${session.deviceId} stays signed in on the server until you remove it from another client`,
    );
  }
  process.stdout.write(`signed out ${session.userId} (device ${session.deviceId} ended on ${session.homeserverUrl})\n`);
}
