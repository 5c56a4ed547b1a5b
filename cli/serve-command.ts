import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, readConfigFile, type MediaServerConfig } from '../server/config.js';
import { startMediaServer } from '../server/media-server.js';

export const SERVE_USAGE = `Usage:
  slipstream serve [--config <file.json>] [--host <address>] [--port <port>] [--server-name <name>]
                   [--homeserver-url <url>] [--homeserver-media-url <url>] [--data-dir <dir>]
                   [--max-upload-size <bytes>] [--pending-uploads-per-user <n>] [--unused-expiry-ms <ms>]
                   [--max-timeout-ms <ms>] [--create-per-second <n>] [--create-burst <n>]

  Runs the Slipstream media repository server. Flags override the config file.`;

function wholeNumber(text: string, flag: string): number {
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ConfigError(`${flag} must be a whole number, not "${text}"`);
  }
  return Number(text);
}

/** The configuration from `--config` with flags layered on top, validated. */
export async function loadServeConfig(argv: string[]): Promise<MediaServerConfig> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'server-name': { type: 'string' },
      'homeserver-url': { type: 'string' },
      'homeserver-media-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'max-upload-size': { type: 'string' },
      'pending-uploads-per-user': { type: 'string' },
      'unused-expiry-ms': { type: 'string' },
      'max-timeout-ms': { type: 'string' },
      'create-per-second': { type: 'string' },
      'create-burst': { type: 'string' },
    },
  });
  const file = values.config === undefined ? {} : await readConfigFile(values.config);
  const listen = { ...(file.listen as object | undefined) } as Record<string, unknown>;
  const limits = { ...(file.limits as object | undefined) } as Record<string, unknown>;
  if (values.host !== undefined) listen.host = values.host;
  if (values.port !== undefined) listen.port = wholeNumber(values.port, '--port');
  const numeric: [string | undefined, string, string][] = [
    [values['max-upload-size'], '--max-upload-size', 'maxUploadBytes'],
    [values['pending-uploads-per-user'], '--pending-uploads-per-user', 'pendingUploadsPerUser'],
    [values['unused-expiry-ms'], '--unused-expiry-ms', 'unusedExpiryMs'],
    [values['max-timeout-ms'], '--max-timeout-ms', 'maxDownloadTimeoutMs'],
    [values['create-per-second'], '--create-per-second', 'createPerSecond'],
    [values['create-burst'], '--create-burst', 'createBurst'],
  ];
  for (const [text, flag, field] of numeric) if (text !== undefined) limits[field] = wholeNumber(text, flag);
  const merged: Record<string, unknown> = { ...file, listen, limits };
  if (values['server-name'] !== undefined) merged.serverName = values['server-name'];
  if (values['homeserver-url'] !== undefined) merged.homeserverUrl = values['homeserver-url'];
  if (values['homeserver-media-url'] !== undefined) merged.homeserverMediaUrl = values['homeserver-media-url'];
  if (values['data-dir'] !== undefined) merged.dataDir = values['data-dir'];
  return parseConfig(merged, values.config ?? 'the command line');
}

/**
 * `slipstream serve`: runs until SIGTERM or SIGINT, then stops accepting, lets requests in flight
 * finish for a few seconds (uploads cut after that keep what arrived) and exits 0.
 * Prints `listening on <url>` once ready, which scripts and tests wait for.
 */
export async function serveCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  let config: MediaServerConfig;
  try {
    config = await loadServeConfig(argv);
  } catch (error) {
    const usage = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`slipstream serve: ${(error as Error).message}${usage ? '; see slipstream serve --help' : ''}`);
    return usage ? 2 : 1;
  }
  let server: Awaited<ReturnType<typeof startMediaServer>>;
  try {
    server = await startMediaServer(config);
  } catch (error) {
    // A store that cannot be opened (StorageStartError names the service), a port in use, …
    console.error(`slipstream serve: cannot start: ${(error as Error).message}`);
    return 1;
  }
  console.log(`listening on ${server.url}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  console.log(`${signal}: closing`);
  await server.close();
  return 0;
}
