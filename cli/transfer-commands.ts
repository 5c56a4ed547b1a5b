import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseReceivableFile } from '../shared/matrix/file-message.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { serveFetchHandler } from '../main/core/http/fetch-handler-server.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import { defaultStateDirectory } from '../main/core/state/state-directory.js';
import { createMediaHandler } from '../main/core/transfer/media-handler.js';
import { guardedBySecretPath } from '../main/core/http/secret-path-guard.js';
import { copyWithoutReplacing } from '../main/core/transfer/destination.js';
import { identifySource } from '../main/core/transfer/source-file.js';
import { type MediaAccess, TransferEngine } from '../main/core/transfer/transfer-engine.js';
import { isFinalStatus } from '../shared/transfer/transfer-update.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { accessFrom, assertReachable } from './cli-session.js';
import { chooseProgressMode, formatBytes, ProgressDisplay } from './progress-display.js';
import { printUsage } from './usage.js';

const commonOptions = {
  homeserver: { type: 'string' },
  token: { type: 'string' },
  'state-dir': { type: 'string' },
  progress: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

interface Common {
  readonly stateDir: string;
  readonly progress: string | undefined;
  readonly json: boolean;
}

async function openEngine(stateDir: string): Promise<TransferEngine> {
  return TransferEngine.open({
    dataDir: stateDir,
    secretStore: new FileSecretStore(join(stateDir, 'secret-store.key')),
    log: (line) => process.stderr.write(`slipstream: ${line}\n`),
  });
}

/**
 * Runs until the transfer settles, showing progress; Ctrl-C stops it where it is (the same command
 * resumes it). Resolves with the final update.
 */
async function follow(engine: TransferEngine, id: string, common: Common): Promise<TransferUpdate> {
  const display = new ProgressDisplay(chooseProgressMode(common.progress, process.stderr), process.stderr);
  const unsubscribe = engine.subscribe((update) => {
    if (update.id === id) display.update(update);
  });
  const interrupt = (signal: NodeJS.Signals): void => {
    void engine.close().then(() => {
      display.finish(engine.snapshot(id));
      process.stderr.write(`slipstream: interrupted by ${signal}; run the same command again to resume\n`);
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    display.update(engine.snapshot(id));
    const final = await engine.settled(id);
    display.finish(final);
    return final;
  } finally {
    unsubscribe();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

function failureOf(final: TransferUpdate): CliError {
  const reason = final.failure
    ? `${final.failure.message} [${final.failure.code}]`
    : `the transfer was ${final.status}`;
  return new CliError(reason, 1);
}

export async function uploadCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...commonOptions, format: { type: 'string', default: 'v3' }, 'block-size': { type: 'string' } },
  });
  if (values.help) return printUsage('upload');
  if (positionals.length !== 1) throw new CliError('upload takes exactly one <file>', USAGE_EXIT);
  if (values.format !== 'v3' && values.format !== 'v2') {
    throw new CliError(`--format must be v3 or v2, not "${values.format}"`, USAGE_EXIT);
  }
  const blockSizeText = values['block-size'];
  if (blockSizeText !== undefined && !/^\d+$/.test(blockSizeText)) {
    throw new CliError(`--block-size must be a whole number of bytes, not "${blockSizeText}"`, USAGE_EXIT);
  }
  const common = commonOf(values);
  const access = (await accessFrom(values, common.stateDir, true))!;
  const path = resolve(positionals[0]!);
  // A file that is not there is said before anything else is tried.
  const { size } = await identifySource(path);
  say(common, `uploading ${path} (${formatBytes(size)}) to ${access.homeserverUrl}`);
  await assertReachable(access.homeserverUrl);
  const engine = await openEngine(common.stateDir);
  try {
    engine.authorise(access);
    const existing = engine.findResumableSend(path, access.homeserverUrl);
    let id: string;
    if (existing) {
      id = existing.id;
      process.stderr.write(
        `slipstream: resuming the interrupted upload of this file (${existing.contentUri ?? 'not yet created'})\n`,
      );
    } else {
      id = (
        await engine.send(path, {
          homeserverUrl: access.homeserverUrl,
          format: values.format,
          ...(blockSizeText !== undefined && { blockSize: Number(blockSizeText) }),
        })
      ).transferId;
    }
    // The event content goes out before any byte is uploaded: a recipient can start at once.
    const content = await engine.contentOf(id);
    process.stdout.write(common.json ? `${JSON.stringify(content)}\n` : `${JSON.stringify(content, null, 2)}\n`);
    if (existing) engine.resume(id);
    const final = await follow(engine, id, common);
    if (final.status !== 'completed') throw failureOf(final);
  } finally {
    await engine.close();
  }
}

async function readReceivable(path: string): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    parseReceivableFile(value);
    return value;
  } catch (error) {
    throw new CliError(`${path} is not an event content or a file block: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startOrResumeReceive(
  engine: TransferEngine,
  event: unknown,
  access: MediaAccess,
  destinationDir: string,
): Promise<string> {
  const { file } = parseReceivableFile(event);
  const existing = engine.findResumableReceive(file.url, destinationDir);
  if (existing) {
    process.stderr.write(`slipstream: resuming the interrupted download of ${file.url}\n`);
    engine.resume(existing.id);
    return existing.id;
  }
  return engine.receive({ event, homeserverUrl: access.homeserverUrl, destinationDir });
}

export async function downloadCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...commonOptions, 'file-json': { type: 'string' }, out: { type: 'string' } },
  });
  if (values.help) return printUsage('download');
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`, USAGE_EXIT);
  if (values['file-json'] === undefined) throw new CliError('download needs --file-json <file.json>', USAGE_EXIT);
  if (values.out === undefined) throw new CliError('download needs --out <dir>', USAGE_EXIT);
  const common = commonOf(values);
  const access = (await accessFrom(values, common.stateDir, true))!;
  const event = await readReceivable(values['file-json']);
  say(common, `downloading into ${resolve(values.out)} from ${access.homeserverUrl}`);
  await assertReachable(access.homeserverUrl);
  const started = performance.now();
  const engine = await openEngine(common.stateDir);
  try {
    engine.authorise(access);
    const id = await startOrResumeReceive(engine, event, access, resolve(values.out));
    let firstByteAfterMs: number | undefined;
    const unsubscribe = engine.subscribe((update) => {
      if (update.id === id && firstByteAfterMs === undefined && update.bytesDone > 0) {
        firstByteAfterMs = performance.now() - started;
      }
    });
    const final = await follow(engine, id, common);
    unsubscribe();
    if (final.status !== 'completed') throw failureOf(final);
    process.stdout.write(
      common.json
        ? `${JSON.stringify({ savedPath: final.savedPath, size: final.bytesTotal, firstByteAfterMs })}\n`
        : `${final.savedPath}\n`,
    );
  } finally {
    await engine.close();
  }
}

export async function serveMediaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...commonOptions,
      port: { type: 'string', default: '0' },
      host: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    printUsage('serve-media');
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('serve-media takes one <transfer-id|file.json>', USAGE_EXIT);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0-65535`, USAGE_EXIT);
  const common = commonOf(values);
  const access = await accessFrom(values, common.stateDir, false);
  const out = values.out === undefined ? undefined : resolve(values.out);
  if (out !== undefined && !(await stat(out).catch(() => undefined))?.isDirectory()) {
    throw new CliError(`--out ${out} is not a folder`, USAGE_EXIT);
  }
  const engine = await openEngine(common.stateDir);
  if (access) engine.authorise(access);
  const id = await servedTransfer(engine, positionals[0]!, access, join(common.stateDir, 'media'));
  const secret = randomBytes(24).toString('base64url');
  const host = values.host ?? '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  let ownHosts: string[] | undefined;
  const served = await serveFetchHandler(
    guardedBySecretPath(createMediaHandler(engine), secret, () => ownHosts),
    { port, host },
  );
  const { port: listening } = new URL(served.url);
  // On loopback a request must name this server: a web page reaching it by DNS rebinding names another.
  if (loopback) ownHosts = [`127.0.0.1:${listening}`, `localhost:${listening}`, `[::1]:${listening}`];
  const name = encodeURIComponent(engine.snapshot(id).fileName);
  process.stdout.write(`${served.url}/${secret}/transfer/${id}/${name}\n`);
  // With --out, a copy once the file is complete; the copy's own failure is reported in the exit status.
  let copyFailed = false;
  let copying: Promise<void> | undefined;
  const copyWhenComplete = (update: TransferUpdate): void => {
    if (out === undefined || update.id !== id || update.status !== 'completed' || !update.savedPath || copying) return;
    copying = copyWithoutReplacing(update.savedPath, out, update.fileName).then(
      (copy) => void process.stderr.write(`slipstream: saved a copy as ${copy}\n`),
      (error: unknown) => {
        copyFailed = true;
        process.stderr.write(`slipstream: could not save a copy in ${out}: ${(error as Error).message}\n`);
      },
    );
  };
  const unsubscribe = engine.subscribe(copyWhenComplete);
  // Complete already (a file an earlier run fetched): copied now.
  copyWhenComplete(engine.snapshot(id));
  await new Promise<void>((resolveStop) => {
    const stop = (): void => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  unsubscribe();
  await served.close();
  await engine.close();
  await copying;
  return copyFailed ? 1 : 0;
}

/**
 * The transfer to serve: one of the state directory by ID, or the receive of an event's file into the
 * state directory's own media folder — resumed, or reused once complete, by the next run with the
 * same event, rather than saved again wherever the command happens to run.
 */
async function servedTransfer(
  engine: TransferEngine,
  target: string,
  access: MediaAccess | undefined,
  mediaDir: string,
): Promise<string> {
  if (engine.record(target)) {
    const { status } = engine.snapshot(target);
    if (status !== 'completed' && status !== 'failed' && status !== 'cancelled') engine.resume(target);
    return target;
  }
  if (!access)
    throw new CliError(
      'serving a file.json needs a session (slipstream login) or --homeserver and --token',
      USAGE_EXIT,
    );
  const event = await readReceivable(target);
  const { file } = parseReceivableFile(event);
  const kept = engine
    .allRecords()
    .find(
      (record) =>
        record.direction === 'receive' &&
        record.contentUri === file.url &&
        record.destinationDir === mediaDir &&
        (!isFinalStatus(record.status) || (record.status === 'completed' && record.savedPath !== undefined)),
    );
  if (kept?.direction === 'receive' && kept.status === 'completed') {
    if (await stat(kept.savedPath!).catch(() => undefined)) return kept.id;
  }
  await mkdir(mediaDir, { recursive: true, mode: 0o700 });
  return startOrResumeReceive(engine, event, access, mediaDir);
}

/** One line on stderr saying what the command is doing, whatever the progress mode (but json and none). */
function say(common: Common, line: string): void {
  const mode = chooseProgressMode(common.progress, process.stderr);
  if (mode !== 'json' && mode !== 'none') process.stderr.write(`slipstream: ${line}\n`);
}

function commonOf(values: { 'state-dir'?: string; progress?: string; json?: boolean }): Common {
  try {
    chooseProgressMode(values.progress, process.stderr);
  } catch (error) {
    throw new CliError((error as Error).message, USAGE_EXIT);
  }
  return {
    stateDir: resolve(values['state-dir'] ?? defaultStateDirectory()),
    progress: values.progress,
    json: values.json ?? false,
  };
}
