import { defaultStateDirectory } from '../main/core/state/state-directory.js';

/*
 * What each subcommand does and takes, in one place: `slipstream <command> --help` prints its own entry
 * (exit 0), `slipstream --help` all of them.
 */

const stateDir = (): string => defaultStateDirectory();

export const COMMAND_USAGE = {
  login: `slipstream login --user <name|@name:server> [--homeserver <url|server name>] [--password-stdin]

  Signs in to your homeserver and keeps the session (sealed) in ${stateDir()}, so upload, download and
  serve-media need no --token. The homeserver may be a server name (example.org: its homeserver is
  found through /.well-known) and may be left out when --user is a full Matrix ID. The password is
  asked for on the terminal without echo, or read from standard input with --password-stdin.`,
  whoami: `slipstream whoami

  Says who you are signed in as, asking the homeserver (so a token it no longer accepts shows up).`,
  logout: `slipstream logout

  Ends this device's session on the homeserver and forgets it here.`,
  upload: `slipstream upload <file> [--homeserver <url> --token <token>] [--json] [--format v3|v2] [--block-size <bytes>]

  Prints the content of the m.room.message event to post as soon as the media ID exists, before the
  first byte is uploaded (one JSON line with --json), then uploads with progress on stderr. Run the same
  command again after an interruption to resume; a file changed since is refused.`,
  download: `slipstream download --file-json <file.json|-> --out <dir> [--homeserver <url> --token <token>] [--json]

  Takes what upload printed (an event content or a bare file block; - reads standard input, so a
  receiver can start first and wait), starts at once even while the upload runs, and saves under the
  event's file name made safe, never replacing a file. Exit 0 only for a complete, authenticated file.`,
  'serve-media': `slipstream serve-media <transfer-id|file.json> [--port <n>] [--host <address>] [--out <dir>]
                         [--homeserver <url> --token <token>]

  Serves a transfer's decrypted bytes over HTTP with Range (for mpv, a browser) at the address it
  prints, which carries a secret made at each run. What it fetches stays in the state directory and
  is reused next time; --out also saves a copy there once complete.`,
  encrypt: `slipstream encrypt <input> <output> --info <info.json> [--block-size <bytes>] [--format v3|v2]

  Writes the ciphertext, and to --info the event's "file" block (everything but "url") with the
  plaintext size. <input> and <output> may be - for standard input and output.`,
  decrypt: `slipstream decrypt <input> <output> --info <info.json> [--expect-size <bytes>] [--range <first>-<last>] [--force]

  Accepts any v3 or v2 "file" block (or a whole event content holding one). --range outputs only those
  plaintext bytes, inclusive. A stream shorter than the size in the info (or --expect-size) is an
  error. An existing <output> is replaced only with --force.`,
  app: `slipstream app [<file>...] [--port <n>] [--data-dir <dir>] [--folder <dir>]... [--no-open]

  Runs the desktop app in a web browser (for machines without Electron, headless machines, remote
  desktops): prints the address to open, which carries this launch's key, and opens it where there is
  a desktop. Listens on 127.0.0.1 only, on the port of its last start when it is free (the page keeps
  its encryption keys per address), or on --port. Files named are offered for sending. --folder lets the app's
  file chooser (and sends) reach a folder outside your home. Run again, it hands its files to the app
  already running and prints its address.`,
  serve: `slipstream serve [--config <file.json>] [options]

  The media repository server; slipstream serve --help lists its options.`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

const COMMON = `Common to upload, download and serve-media: --state-dir <dir> (or SLIPSTREAM_STATE_DIR; default
${stateDir()}), --progress auto|bar|lines|json|none, and --token may come from SLIPSTREAM_ACCESS_TOKEN
(keeps it out of the process list). Exit status 0 means success; on failure, one line on stderr.`;

export function overallUsage(): string {
  const lines = Object.values(COMMAND_USAGE).map((entry) => `  ${entry.split('\n')[0]}`);
  return `Usage:\n${lines.join('\n')}\n\n  slipstream <command> --help says more about each.\n  ${COMMON.replace(/\n/g, '\n  ')}`;
}

/** `slipstream <command> --help`: the command's own entry, on standard output. */
export function printUsage(command: CommandName): void {
  const entry = COMMAND_USAGE[command];
  const [first, ...rest] = entry.split('\n');
  const common =
    command === 'upload' || command === 'download' || command === 'serve-media'
      ? `\n\n  ${COMMON.replace(/\n/g, '\n  ')}`
      : '';
  process.stdout.write(`Usage:\n  ${first}${rest.length > 0 ? `\n${rest.join('\n')}` : ''}${common}\n`);
}
