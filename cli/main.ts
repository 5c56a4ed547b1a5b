import { unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCodecError } from '../shared/msc4016/codec-error.js';
import { isTransferError } from '../main/core/transfer/transfer-error.js';
import { defaultStateDirectory } from '../main/core/state/state-directory.js';
import { removeTemporariesSync } from './atomic-output.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { decryptCommand, encryptCommand } from './codec-commands.js';
import { describeFsError } from './input-source.js';
import { serveCommand } from './serve-command.js';
import { loginCommand, logoutCommand, whoamiCommand } from './session-commands.js';
import { downloadCommand, serveMediaCommand, uploadCommand } from './transfer-commands.js';
import { COMMAND_USAGE, overallUsage, printUsage } from './usage.js';

function parseByteCount(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`${option} must be a whole number of bytes, not "${text}"`, USAGE_EXIT);
  }
  return Number(text);
}

function parseRange(text: string | undefined): { first: number; last: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
    throw new CliError(`--range must look like <first>-<last> with first ≤ last, not "${text}"`, USAGE_EXIT);
  }
  return { first, last };
}

/** The CLI's state directory: --state-dir, SLIPSTREAM_STATE_DIR, or the platform's own place. */
function stateDirectory(given?: string): string {
  return resolve(given ?? defaultStateDirectory());
}

/** What an option wants, for a value parseArgs could not take (one starting with a dash, say). */
const OPTION_WANTS: Record<string, string> = {
  '--expect-size': 'a whole number of bytes',
  '--block-size': 'a whole number of bytes',
  '--range': '<first>-<last>, two whole numbers of bytes',
  '--port': 'a port number',
};

function positionals(values: string[], names: string[]): string[] {
  if (values.length !== names.length) {
    throw new CliError(
      `expected ${names.map((n) => `<${n}>`).join(' ')}, got ${values.length} argument(s); see slipstream --help`,
      USAGE_EXIT,
    );
  }
  return values;
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'encrypt': {
      const { values, positionals: args } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          info: { type: 'string' },
          'block-size': { type: 'string' },
          format: { type: 'string', default: 'v3' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
      if (values.help) return printUsage('encrypt');
      const [input, output] = positionals(args, ['input', 'output']);
      if (values.info === undefined) throw new CliError('encrypt needs --info <info.json>', USAGE_EXIT);
      if (values.format !== 'v3' && values.format !== 'v2') {
        throw new CliError(`--format must be v3 or v2, not "${values.format}"`, USAGE_EXIT);
      }
      await encryptCommand({
        input: input!,
        output: output!,
        info: values.info,
        blockSize: parseByteCount(values['block-size'], '--block-size'),
        format: values.format,
      });
      return;
    }
    case 'decrypt': {
      const { values, positionals: args } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          info: { type: 'string' },
          'expect-size': { type: 'string' },
          range: { type: 'string' },
          force: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
      if (values.help) return printUsage('decrypt');
      const [input, output] = positionals(args, ['input', 'output']);
      if (values.info === undefined) throw new CliError('decrypt needs --info <info.json>', USAGE_EXIT);
      await decryptCommand({
        input: input!,
        output: output!,
        info: values.info,
        expectSize: parseByteCount(values['expect-size'], '--expect-size'),
        range: parseRange(values.range),
        force: values.force,
      });
      return;
    }
    case 'login':
      return loginCommand(rest, stateDirectory);
    case 'whoami':
      return whoamiCommand(rest, stateDirectory);
    case 'logout':
      return logoutCommand(rest, stateDirectory);
    case 'upload':
      await uploadCommand(rest);
      return;
    case 'download':
      await downloadCommand(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${overallUsage()}\n`);
      if (command === undefined) throw new CliError('no command given', USAGE_EXIT);
      return;
    default:
      throw new CliError(`unknown command "${command}"; see slipstream --help`, USAGE_EXIT);
  }
}

/** One line on stderr, the reason in plain words; the code is appended for scripts that grep for it. */
function describe(error: unknown, argv?: readonly string[]): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (isCodecError(error) || isTransferError(error))
    return { message: `${error.message} [${error.code}]`, exitCode: 1 };
  if ((error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
    const message = (error as Error).message.split('\n')[0]!.replace(/\.$/, '');
    // "Option '--expect-size' argument is ambiguous": a value starting with a dash. Say what it wants.
    const ambiguous = /^Option '(--[a-z-]+)' argument is ambiguous/.exec(message);
    const option = ambiguous?.[1];
    if (option !== undefined && argv !== undefined) {
      const value = argv[argv.indexOf(option) + 1] ?? '';
      const wants = OPTION_WANTS[option] ?? 'a value';
      return { message: `${option} wants ${wants}, not "${value}"`, exitCode: USAGE_EXIT };
    }
    const command = argv?.[0];
    const help =
      command !== undefined && command in COMMAND_USAGE ? `slipstream ${command} --help` : 'slipstream --help';
    return { message: `${message}; see ${help}`, exitCode: USAGE_EXIT };
  }
  if ((error as NodeJS.ErrnoException)?.syscall) {
    const failure = error as NodeJS.ErrnoException;
    return { message: `${failure.path ?? 'file'}: ${describeFsError(failure)}`, exitCode: 1 };
  }
  return { message: (error as Error)?.message ?? String(error), exitCode: 1 };
}

export async function main(argv: string[]): Promise<number> {
  // The server handles its own signals: it drains requests instead of exiting at once.
  if (argv[0] === 'serve') return serveCommand(argv.slice(1));
  // So does serve-media, and it reports its usage errors like every command.
  if (argv[0] === 'serve-media') return serveMediaCommand(argv.slice(1)).catch((error: unknown) => report(error, argv));
  // And the browser host, which stops its transfers where they are to resume them at the next start.
  // Loaded only for `app`: the browser host brings ws, the app backend and Vite, which no other command needs.
  if (argv[0] === 'app') {
    const { appCommand } = await import('./app-command.js');
    return appCommand(argv.slice(1)).catch((error: unknown) => report(error, argv));
  }
  const cleanUp = (signal: NodeJS.Signals): void => {
    removeTemporariesSync(unlinkSync);
    process.stderr.write(`slipstream: interrupted by ${signal}; nothing was kept\n`);
    process.exit(130);
  };
  // Transfers stop where they are on a signal, to be resumed; only the codec commands clean up and exit.
  if (argv[0] !== 'upload' && argv[0] !== 'download') {
    process.once('SIGINT', cleanUp);
    process.once('SIGTERM', cleanUp);
  }
  // Errors of standard output reach the command through its pipeline; this listener only keeps a
  // late one (after the command finished writing) from crashing the process.
  process.stdout.on('error', () => undefined);
  try {
    await run(argv);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'EPIPE') {
      // Whoever read a decryption stopped early (`| head`): their choice, not a failure. Encryption
      // output cut short is useless, so that is one.
      if (argv[0] === 'decrypt') return 0;
      process.stderr.write('slipstream: standard output was closed before the ciphertext was complete\n');
      return 1;
    }
    return report(error, argv);
  }
}

function report(error: unknown, argv?: readonly string[]): number {
  const { message, exitCode } = describe(error, argv);
  process.stderr.write(`slipstream: ${message}\n`);
  return exitCode;
}
