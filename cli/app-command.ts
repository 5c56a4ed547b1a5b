import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserHost } from '../main/core/browser-host/browser-host.js';
import { findRunningHost, handOff } from '../main/core/browser-host/instance-lock.js';
import { systemOpener } from '../main/core/browser-host/system-opener.js';
import { defaultStateDirectory } from '../main/core/state/state-directory.js';
import { checkoutRoot } from './checkout-root.js';
import { CliError, USAGE_EXIT } from './cli-error.js';
import { ensureRendererBuild } from './renderer-build.js';
import { printUsage } from './usage.js';
import { retryPolicyFromEnvironment } from '../main/core/transfer/retry-policy.js';

async function existingFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths.map((given) => resolve(given))) {
    const stats = await stat(path).catch(() => undefined);
    if (!stats) throw new CliError(`${path} does not exist`, USAGE_EXIT);
    if (!stats.isFile()) throw new CliError(`${path} is not a file`, USAGE_EXIT);
    files.push(path);
  }
  return files;
}

export async function appCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      folder: { type: 'string', multiple: true },
      'no-open': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    printUsage('app');
    return 0;
  }
  // No --port: the host takes the port of its last start when it is free (the page's stored keys
  // belong to its origin, port included).
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new CliError(`--port must be a port number, not "${values.port}"`, USAGE_EXIT);
  }
  const dataDir = resolve(
    values['data-dir'] ?? process.env['SLIPSTREAM_APP_DATA_DIR'] ?? join(defaultStateDirectory(), 'app'),
  );
  const folders: string[] = [];
  for (const folder of values.folder ?? []) {
    if (!(await stat(folder).catch(() => undefined))?.isDirectory())
      throw new CliError(`--folder ${folder} is not a folder`, USAGE_EXIT);
    folders.push(resolve(folder));
  }
  const files = await existingFiles(positionals);
  const say = (line: string) => process.stderr.write(`slipstream: ${line}\n`);

  const running = await findRunningHost(dataDir);
  if (running) {
    if (files.length > 0) await handOff(running, files);
    say(
      `Slipstream is already running for ${dataDir}${files.length > 0 ? `; handed it ${files.length} file(s)` : ''}. Open:`,
    );
    process.stdout.write(`http://127.0.0.1:${running.port}/open?key=${running.launchKey}\n`);
    return 0;
  }

  const rendererDir = await ensureRendererBuild(say);
  const fastRetry = retryPolicyFromEnvironment();
  const host = await startBrowserHost({
    dataDir,
    rendererDir,
    ...(port !== undefined && { port }),
    extraFolders: folders,
    openedFiles: files,
    version: checkoutRoot().version,
    log: say,
    ...(fastRetry && { engine: { retry: fastRetry } }),
  });
  say(`Slipstream is running in your browser (data in ${dataDir}). Open this address; it carries this launch's key:`);
  process.stdout.write(`${host.url}\n`);
  if (!values['no-open']) {
    await systemOpener()
      .openPath(host.url)
      .then(() => say('opened it in your browser'))
      .catch(() => say('no desktop browser to open it in here: open the address above yourself'));
  }

  await new Promise<void>((resolveStop) => {
    const stop = (signal: NodeJS.Signals) => {
      say(`${signal}: stopping; transfers resume where they are at the next start`);
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  return 0;
}
