import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from './errors.js';
import { stackPaths, STACK_DIR } from './paths.js';
import { LOOPBACK } from './ports.js';
import { answersOk, runningPid, startDetached, stopByPidFile, waitUntilHealthy } from './processes.js';
import { SYNAPSE_VERSION, synapseConfig, type SynapseConfigInput } from './synapse-config.js';

const run = promisify(execFile);

const dir = stackPaths.synapseDir;
export const synapseFiles = {
  config: join(dir, 'homeserver.yaml'),
  database: join(dir, 'homeserver.db'),
  mediaStore: join(dir, 'media_store'),
  signingKey: join(dir, 'localhost.signing.key'),
  pidFile: join(dir, 'homeserver.pid'),
  log: join(dir, 'homeserver.log'),
} as const;

const python = join(stackPaths.venv, 'bin', 'python');
/** Written after a successful pip install; names the version so a changed pin reinstalls. */
const installedStamp = join(stackPaths.venv, `.slipstream-synapse-${SYNAPSE_VERSION}`);

export const synapseUrl = (port: number): string => `http://${LOOPBACK}:${port}`;

/** Creates `.stack/venv` and pip-installs the pinned Synapse, unless that exact version is already there. */
export async function provisionSynapse(log: (line: string) => void): Promise<void> {
  if (existsSync(installedStamp)) return;
  await mkdir(STACK_DIR, { recursive: true });
  if (!existsSync(python)) {
    log('creating the Python virtualenv .stack/venv');
    await runOrExplain('python3', ['-m', 'venv', stackPaths.venv], 'could not create the virtualenv .stack/venv');
  }
  log(`installing matrix-synapse ${SYNAPSE_VERSION} into .stack/venv (a minute or two on a fresh machine)`);
  await runOrExplain(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `matrix-synapse==${SYNAPSE_VERSION}`],
    `pip could not install matrix-synapse ${SYNAPSE_VERSION} (is the package index reachable?)`,
  );
  await writeFile(installedStamp, `${new Date().toISOString()}\n`);
}

/**
 * Writes homeserver.yaml (derived from settings, so it is rewritten whenever the template changes) and
 * generates the signing key once. Returns whether the config changed: a running Synapse then restarts.
 */
export async function configureSynapse(input: Omit<SynapseConfigInput, 'paths'>): Promise<boolean> {
  await mkdir(synapseFiles.mediaStore, { recursive: true });
  const config = `${JSON.stringify(synapseConfig({ ...input, paths: synapseFiles }), null, 2)}\n`;
  const previous = await readFile(synapseFiles.config, 'utf8').catch(() => undefined);
  if (previous !== config) await writeFile(synapseFiles.config, config, { mode: 0o600 });
  if (!existsSync(synapseFiles.signingKey)) {
    await runOrExplain(
      python,
      ['-m', 'synapse.app.homeserver', '--generate-keys', '-c', synapseFiles.config],
      'Synapse could not generate its signing key',
    );
  }
  return previous !== undefined && previous !== config;
}

export async function synapsePid(): Promise<number | undefined> {
  return runningPid(synapseFiles.pidFile);
}

export async function isSynapseHealthy(port: number): Promise<boolean> {
  return answersOk(`${synapseUrl(port)}/health`);
}

/** Starts Synapse detached and waits (bounded) for `GET /health`. */
export async function startSynapse(port: number): Promise<number> {
  const started = await startDetached(python, ['-m', 'synapse.app.homeserver', '-c', synapseFiles.config], {
    cwd: dir,
    logFile: synapseFiles.log,
    pidFile: synapseFiles.pidFile,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  await waitUntilHealthy('Synapse', `${synapseUrl(port)}/health`, started, synapseFiles.log, 90_000);
  return started.pid;
}

export async function stopSynapse(): Promise<number | undefined> {
  return stopByPidFile(synapseFiles.pidFile, 15_000);
}

async function runOrExplain(command: string, args: string[], explanation: string): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    const output = `${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim() || failure.message;
    throw new StackError(explanation, output.split('\n').slice(-20).join('\n'));
  }
}
