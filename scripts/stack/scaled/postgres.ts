import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { StackError } from '../errors.js';
import { LOOPBACK } from '../ports.js';
import { isAlive } from '../processes.js';

/*
 * A PostgreSQL cluster of the project's own (Debian's PostgreSQL, installed by
 * scripts/setup-scaled-storage.sh), in a data directory of its own, on 127.0.0.1 and a port of its own:
 * never the system's cluster. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * user, which then owns the directory. Password authentication over TCP (scram-sha-256), so wrong
 * credentials are refused as on a real deployment.
 */

const run = promisify(execFile);

export interface PostgresCluster {
  readonly dir: string;
  readonly port: number;
  /** The superuser's password (user `postgres`). */
  readonly superPassword: string;
}

/** The newest installed PostgreSQL's programs (Debian keeps them out of PATH). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (!newest) {
    throw new StackError(
      'PostgreSQL is not installed: run `bash scripts/setup-scaled-storage.sh` (or scripts/setup.sh)',
    );
  }
  return join(root, newest, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the user that owns the cluster. */
async function runAsOwner(program: string, args: readonly string[]): Promise<string> {
  const path = join(postgresBin(), program);
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
  try {
    const { stdout } = await run(command, commandArgs, { timeout: 120_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new StackError(`${program} failed`, e.stderr?.trim() || e.message);
  }
}

const dataDir = (cluster: PostgresCluster): string => join(cluster.dir, 'data');
const logFile = (cluster: PostgresCluster): string => join(cluster.dir, 'postgres.log');

/** Creates the cluster once (initdb); later calls find it. */
export async function initPostgres(cluster: PostgresCluster): Promise<void> {
  if (existsSync(join(dataDir(cluster), 'PG_VERSION'))) return;
  await mkdir(cluster.dir, { recursive: true });
  const passwordFile = join(cluster.dir, 'superuser-password');
  await writeFile(passwordFile, `${cluster.superPassword}\n`, { mode: 0o600 });
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(cluster.dir, uid, gid);
    await chown(passwordFile, uid, gid);
  }
  await chmod(cluster.dir, 0o700);
  await runAsOwner('initdb', [
    '-D',
    dataDir(cluster),
    '--username=postgres',
    `--pwfile=${passwordFile}`,
    '--auth-local=peer',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-instructions',
  ]);
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new StackError('there is no `postgres` user: run `bash scripts/setup-scaled-storage.sh`');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The postmaster's pid while it runs (from its own postmaster.pid). */
export async function postgresPid(cluster: PostgresCluster): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir(cluster), 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the cluster on 127.0.0.1:`port` and waits until it accepts connections. */
export async function startPostgres(cluster: PostgresCluster, settings: readonly string[] = []): Promise<number> {
  const options = [
    `-p ${cluster.port}`,
    `-c listen_addresses=${LOOPBACK}`,
    // Its socket in its own directory: the system's /var/run/postgresql may not exist or be the system cluster's.
    `-c unix_socket_directories=${cluster.dir}`,
    ...settings.map((setting) => `-c ${setting}`),
  ].join(' ');
  try {
    await runAsOwner('pg_ctl', [
      '-D',
      dataDir(cluster),
      '-l',
      logFile(cluster),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  } catch (error) {
    const log = await readFile(logFile(cluster), 'utf8').catch(() => '');
    throw new StackError(
      `PostgreSQL did not start on ${LOOPBACK}:${cluster.port}; see ${logFile(cluster)}`,
      log.trimEnd().split('\n').slice(-15).join('\n') || (error as StackError).detail,
    );
  }
  const pid = await postgresPid(cluster);
  if (pid === undefined) throw new StackError('PostgreSQL started but wrote no pid');
  return pid;
}

/** `fast` ends sessions and shuts down cleanly; `immediate` is a crash (recovery at the next start). */
export async function stopPostgres(
  cluster: PostgresCluster,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<number | undefined> {
  const pid = await postgresPid(cluster);
  if (pid === undefined) return undefined;
  await runAsOwner('pg_ctl', ['-D', dataDir(cluster), '-m', mode, '-w', '-t', '60', 'stop']);
  return pid;
}

export const postgresUrl = (cluster: PostgresCluster, user: string, password: string, database: string): string =>
  `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${LOOPBACK}:${cluster.port}/${database}`;

/** Creates the role and its database if missing (as the superuser, over TCP). */
export async function ensureDatabase(
  cluster: PostgresCluster,
  role: { readonly user: string; readonly password: string; readonly database: string },
): Promise<void> {
  const client = new pg.Client({
    connectionString: postgresUrl(cluster, 'postgres', cluster.superPassword, 'postgres'),
  });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.user]);
    const quotedUser = client.escapeIdentifier(role.user);
    const password = client.escapeLiteral(role.password);
    if (exists.rowCount === 0) await client.query(`CREATE ROLE ${quotedUser} LOGIN PASSWORD ${password}`);
    else await client.query(`ALTER ROLE ${quotedUser} PASSWORD ${password}`);
    const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [role.database]);
    if (database.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(role.database)} OWNER ${quotedUser}`);
    }
  } finally {
    await client.end();
  }
}
