import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { formatBytes } from '../../cli/progress-display.js';
import { parseMxcUri } from '../../shared/matrix/mxc.js';
import type { TransferUpdate } from '../../shared/transfer/transfer-update.js';
import { MediaRepositoryClient } from '../../main/core/transfer/media-repository-client.js';
import { makeSampleFile, sha256OfFile } from '../lib/sample-file.js';
import { stackDown, stackStatus, stackUp } from '../stack/stack.js';
import { registerUser } from '../stack/users.js';

/*
 * `npm run demo:cli`, the command-line demo: two Matrix users on the local stack, and a generated file
 * streamed from one to the other with the `slipstream` CLI — the receiver starts while the sender is
 * still uploading.
 * Shows both progress bars side by side, when the receiver had its first authenticated bytes, and
 * the SHA-256 of both files at the end.
 */

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env['SLIPSTREAM_DEMO_MIB'] ?? 1024);
const root = resolve('.cache/demo');
const cli = resolve('bin/slipstream');

interface Side {
  latest?: TransferUpdate & { at: number };
  firstByteAt?: number;
  exit?: Promise<{ code: number; stderrTail: string }>;
}

function bar(update: TransferUpdate | undefined, label: string): string {
  const fraction = update && update.bytesTotal > 0 ? update.bytesDone / update.bytesTotal : 0;
  const width = 20;
  const filled = Math.round(fraction * width);
  const rate = update?.status === 'completed' ? 'done' : `${((update?.rate ?? 0) / 1e6).toFixed(0).padStart(4)} MB/s`;
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${rate}`;
}

/** Runs one CLI transfer, following its JSON progress on stderr; returns the CLI's standard input. */
function run(args: string[], token: string, side: Side, onStdoutLine?: (line: string) => void): Writable {
  const child = spawn(process.execPath, [cli, ...args, '--progress', 'json'], {
    env: { ...process.env, SLIPSTREAM_ACCESS_TOKEN: token },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const update = JSON.parse(line) as TransferUpdate & { at: number };
      side.latest = update;
      if (side.firstByteAt === undefined && update.bytesDone > 0) side.firstByteAt = update.at;
    } catch {
      stderrTail = `${stderrTail}${line}\n`.slice(-2000);
    }
  });
  if (onStdoutLine) createInterface({ input: child.stdout }).on('line', onStdoutLine);
  side.exit = new Promise((done) => child.on('close', (code) => done({ code: code ?? 1, stderrTail })));
  // A CLI that exits before reading its input must not take the demo down with EPIPE.
  child.stdin.on('error', () => undefined);
  return child.stdin;
}

/** What one run leaves: both CLIs' state and the received copy. The sample file is kept for the next. */
async function removeRunState(): Promise<void> {
  for (const name of ['state-alice', 'state-bob', 'inbox', 'event.json']) {
    await rm(join(root, name), { recursive: true, force: true });
  }
}

/** Alice deletes her upload (tus termination), so runs do not pile gigabytes into the stack's media store. */
async function deleteUploaded(
  homeserverUrl: string,
  accessToken: string,
  contentUri: string | undefined,
): Promise<void> {
  if (contentUri === undefined) return;
  const client = new MediaRepositoryClient({ homeserverUrl, accessToken });
  const uploadUrl = client.tusUploadUrl(await client.capabilities(), parseMxcUri(contentUri));
  if (uploadUrl !== undefined) await client.tusTerminate(uploadUrl);
}

async function main(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // Any part of the stack running means someone uses it: then it is left running at the end.
  const wasRunning = (await stackStatus()).some((component) => component.pid !== undefined);
  const stack = await stackUp((line) => say(`  stack: ${line}`));
  try {
    // Named as the demo calls them, so what it prints matches the accounts on the server.
    const suffix = randomBytes(3).toString('hex');
    const [alice, bob] = await Promise.all([
      registerUser(stack, `alice-${suffix}`),
      registerUser(stack, `bob-${suffix}`),
    ]);
    say(`\n1. Two users on ${stack.baseUrl}: Alice (${alice.userId}) sends, Bob (${bob.userId}) receives.`);

    await mkdir(root, { recursive: true });
    const sample = join(root, `sample-${sizeMiB}MiB.bin`);
    const exists = await stat(sample).then(
      (s) => s.size === sizeMiB * MiB,
      () => false,
    );
    if (!exists) {
      say(`2. Making a ${sizeMiB} MiB sample file: ${sample}`);
      await makeSampleFile(sample, sizeMiB * MiB);
    } else say(`2. Using the ${sizeMiB} MiB sample file ${sample}`);

    // Fresh state each run, so the demo always shows a whole transfer rather than resuming an old one.
    await removeRunState();
    await mkdir(join(root, 'inbox'));

    say(
      "3. Both CLIs start. Alice's prints the event content as soon as the media ID exists, before uploading;\n" +
        "   Bob's, already running as a client is when the room event arrives, reads it and starts downloading.\n",
    );
    const sender: Side = {};
    const receiver: Side = {};
    const started = Date.now();
    let eventAt: number | undefined;
    let contentUri: string | undefined;
    const common = ['--homeserver', stack.baseUrl];
    const bobsInput = run(
      ['download', '--file-json', '-', '--out', join(root, 'inbox'), ...common, '--state-dir', join(root, 'state-bob')],
      bob.accessToken,
      receiver,
    );
    run(
      ['upload', sample, '--json', ...common, '--state-dir', join(root, 'state-alice')],
      alice.accessToken,
      sender,
      (line) => {
        if (eventAt !== undefined) return;
        eventAt = Date.now();
        contentUri = (JSON.parse(line) as { file: { url: string } }).file.url;
        bobsInput.end(`${line}\n`);
      },
    );

    const tty = process.stdout.isTTY;
    let lastPrinted = 0;
    const render = (force = false): void => {
      const line = `${bar(sender.latest, 'upload  ')}  |  ${bar(receiver.latest, 'download')}`;
      if (tty) process.stdout.write(`\r${line}`);
      else if (force || Date.now() - lastPrinted >= 2000) {
        process.stdout.write(`${line}\n`);
        lastPrinted = Date.now();
      }
    };
    const ticker = setInterval(render, 200);
    const [sent, receiverExit] = await Promise.all([sender.exit!, receiver.exit!]);
    clearInterval(ticker);
    render(true);
    if (tty) process.stdout.write('\n');
    if (sent.code !== 0 || receiverExit.code !== 0) {
      say(`\nA transfer failed:\n${sent.stderrTail}${receiverExit.stderrTail}`);
      return 1;
    }
    const seconds = (Date.now() - started) / 1000;
    say(
      `\n4. Done: ${formatBytes(sizeMiB * MiB)} from disk to disk in ${seconds.toFixed(1)} s (${((sizeMiB * MiB) / seconds / 1e6).toFixed(0)} MB/s, including both CLIs' start-up).`,
    );
    if (receiver.firstByteAt !== undefined && eventAt !== undefined) {
      const uploadDoneAt = sender.latest?.status === 'completed' ? sender.latest.at : undefined;
      const beforeUploadEnded =
        uploadDoneAt !== undefined && receiver.firstByteAt < uploadDoneAt
          ? `, ${((uploadDoneAt - receiver.firstByteAt) / 1000).toFixed(2)} s before Alice's upload ended`
          : '';
      say(
        `   Bob had his first authenticated bytes ${(receiver.firstByteAt - eventAt).toFixed(0)} ms after the event content ` +
          `reached him${beforeUploadEnded}; the event content existed ${((eventAt - started) / 1000).toFixed(2)} s after ` +
          `both CLIs started (their start-up and the /create).`,
      );
    }
    const received = join(root, 'inbox', `sample-${sizeMiB}MiB.bin`);
    const [original, copy] = await Promise.all([sha256OfFile(sample), sha256OfFile(received)]);
    say(`5. SHA-256 sent     ${original}\n   SHA-256 received ${copy}`);
    if (original !== copy) {
      say('   MISMATCH');
      return 1;
    }
    say('   identical: every block was authenticated on the way, and the size checked.');
    await deleteUploaded(stack.baseUrl, alice.accessToken, contentUri);
    await removeRunState();
    say(
      `6. Cleaned up: the upload deleted from the stack, the received copy and both CLIs' state removed. The sample\n` +
        `   file stays for the next run (${sample}; rm -r ${root} frees it; npm run stack -- clean empties the stack).`,
    );
    return 0;
  } finally {
    if (!wasRunning) await stackDown(() => undefined);
  }
}

process.exitCode = await main();
