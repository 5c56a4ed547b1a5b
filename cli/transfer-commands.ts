import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseReceivableFile } from '../shared/matrix/file-message.js';
import type { TransferUpdate } from '../shared/transfer/transfer-update.js';
import { serveFetchHandler } from '../main/core/http/fetch-handler-server.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import { defaultStateDirectory } from '../main/core/state/state-directory.js';
import { createMediaHandler } from '../main/core/transfer/media-handler.js';
import { type MediaAccess, TransferEngine } from '../main/core/transfer/transfer-engine.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { chooseProgressMode, ProgressDisplay } from './progress-display.js';

export const TRANSFER_USAGE = `  slipstream upload <file> --homeserver <url> --token <token> [--json] [--format v3|v2] [--block-size <bytes>]
  slipstream download --file-json <file.json> --homeserver <url> --token <token> --out <dir> [--json]
  slipstream serve-media <transfer-id|file.json> [--port <n>] [--homeserver <url> --token <token>] [--out <dir>]

  The token may also come from SLIPSTREAM_ACCESS_TOKEN (keeps it out of the process list).
  Transfer state lives in ${defaultStateDirectory()} (--state-dir or SLIPSTREAM_STATE_DIR to change);
  running the same upload or download again after an interruption resumes it.
  --progress auto|bar|lines|json|none chooses how progress is shown on stderr.
  --file-json - reads the event content (or file block) from standard input.`;

const commonOptions = {
  homeserver: { type: 'string' },
  token: { type: 'string' },
  'state-dir': { type: 'string' },
  progress: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

interface Common {
  readonly stateDir: string;
  readonly progress: string | undefined;
  readonly json: boolean;
}

function accessFrom(values: { homeserver?: string; token?: string }, required: boolean): MediaAccess | undefined {
  const token = values.token ?? process.env['SLIPSTREAM_ACCESS_TOKEN'];
  if (values.homeserver === undefined || token === undefined) {
    if (!required) return undefined;
    throw new CliError(
      `${values.homeserver === undefined ? '--homeserver <url>' : '--token <token> (or SLIPSTREAM_ACCESS_TOKEN)'} is required`,
      USAGE_EXIT,
    );
  }
  try {
    const url = new URL(values.homeserver);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('not http(s)');
  } catch {
    throw new CliError(`--homeserver must be an http(s) URL, not "${values.homeserver}"`, USAGE_EXIT);
  }
  return { homeserverUrl: values.homeserver.replace(/\/+$/, ''), accessToken: token };
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
  if (positionals.length !== 1) throw new CliError('upload takes exactly one <file>', USAGE_EXIT);
  if (values.format !== 'v3' && values.format !== 'v2') {
    throw new CliError(`--format must be v3 or v2, not "${values.format}"`, USAGE_EXIT);
  }
  const blockSizeText = values['block-size'];
  if (blockSizeText !== undefined && !/^\d+$/.test(blockSizeText)) {
    throw new CliError(`--block-size must be a whole number of bytes, not "${blockSizeText}"`, USAGE_EXIT);
  }
  const access = accessFrom(values, true)!;
  const common = commonOf(values);
  const path = resolve(positionals[0]!);
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
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`, USAGE_EXIT);
  if (values['file-json'] === undefined) throw new CliError('download needs --file-json <file.json>', USAGE_EXIT);
  if (values.out === undefined) throw new CliError('download needs --out <dir>', USAGE_EXIT);
  const access = accessFrom(values, true)!;
  const common = commonOf(values);
  const event = await readReceivable(values['file-json']);
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
  if (positionals.length !== 1) throw new CliError('serve-media takes one <transfer-id|file.json>', USAGE_EXIT);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0-65535`, USAGE_EXIT);
  const common = commonOf(values);
  const access = accessFrom(values, false);
  const engine = await openEngine(common.stateDir);
  if (access) engine.authorise(access);
  const target = positionals[0]!;
  let id: string;
  if (engine.record(target)) {
    id = target;
    if (engine.snapshot(id).status !== 'completed' && engine.snapshot(id).status !== 'failed') engine.resume(id);
  } else {
    if (!access) throw new CliError('serving a file.json needs --homeserver and --token', USAGE_EXIT);
    id = await startOrResumeReceive(engine, await readReceivable(target), access, resolve(values.out ?? '.'));
  }
  const served = await serveFetchHandler(createMediaHandler(engine), {
    port,
    ...(values.host !== undefined && { host: values.host }),
  });
  const name = encodeURIComponent(engine.snapshot(id).fileName);
  process.stdout.write(`${served.url}/transfer/${id}/${name}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = (): void => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await served.close();
  await engine.close();
  return 0;
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
