/*
 * `npm run stack -- <command>`: the local Synapse + media server + nginx stack, all on 127.0.0.1, state
 * under .stack/. See docs/deploy.md for the nginx routing it reproduces, and USAGE below for the commands.
 */
import { StackError } from './errors.js';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stackPaths } from './paths.js';
import { stackDown, stackStatus, stackUp } from './stack.js';
import { registerUser } from './users.js';
import { scaledStackDown, scaledStackStatus, scaledStackUp } from './scaled/scaled-stack.js';

const USAGE = `usage: npm run stack -- <command>
  up                          start Synapse, the media server and nginx (installs Synapse the first time)
  up --scale N                also a scaled stack beside it (.stack/scaled/): PostgreSQL, SeaweedFS, N media
                              servers sharing them, and an nginx balancing between them (its own baseUrl)
  down                        stop them; their data stays
  status                      what runs, with its pid and address
  user add [<name>] [--token] register a user and print how to sign in (--token: also an access token)
  clean [--yes]               stop the stack and delete its data (accounts, rooms, media); asks first
  --help                      this list`;

const log = (line: string): void => console.error(`stack: ${line}`);

/** Bytes under a path, for saying what clean frees. */
async function sizeOf(path: string): Promise<number> {
  const stats = await stat(path).catch(() => undefined);
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/** Stops the stack and deletes what it stored; keeps the Synapse install and the chosen ports. */
async function clean(args: string[]): Promise<number> {
  const data = [stackPaths.synapseDir, stackPaths.mediaServerDir];
  const bytes = (await Promise.all(data.map(sizeOf))).reduce((sum, size) => sum + size, 0);
  const what = `the stack's accounts, rooms and media (${(bytes / 1024 ** 3).toFixed(2)} GiB in ${stackPaths.synapseDir} and ${stackPaths.mediaServerDir})`;
  if (!args.includes('--yes')) {
    if (!process.stdin.isTTY) {
      console.error(`stack: clean deletes ${what}; run it with --yes to confirm`);
      return 2;
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question(`Delete ${what}? [y/N] `);
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      console.error('stack: nothing deleted');
      return 1;
    }
  }
  await stackDown(log);
  for (const path of data) await rm(path, { recursive: true, force: true });
  console.log(`deleted ${what}; npm run stack -- up starts an empty stack`);
  return 0;
}

/** `up --scale N`: the default stack, and the scaled one beside it (scaled/scaled-stack.ts). */
async function scaledUp(scaleText: string | undefined): Promise<number> {
  const scale = Number(scaleText);
  if (!scaleText || !/^\d+$/.test(scaleText) || scale < 1 || scale > 8) {
    console.error(`${USAGE}\n  --scale takes a whole number from 1 to 8`);
    return 2;
  }
  const started = Date.now();
  const info = await scaledStackUp(log, scale, { restartStale: true });
  console.log(
    [
      `scaled stack is up (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  baseUrl          ${info.baseUrl}   (media → ${info.scale} instances of Slipstream's media server)`,
      ...info.instanceUrls.map((url, i) => `  instance ${i + 1}       ${url}`),
      `  object store     ${info.s3Endpoint}   (SeaweedFS, bucket ${info.bucket})`,
      `  PostgreSQL       127.0.0.1:${info.postgresPort}`,
      `  synapseUrl       ${info.synapseUrl}   (the default stack's Synapse)`,
      '  details          .stack/scaled/stack.json',
    ].join('\n'),
  );
  return 0;
}

async function main(command: string | undefined, args: string[]): Promise<number> {
  switch (command) {
    case 'clean':
      return clean(args);
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return 0;
    case 'user': {
      const withToken = args.includes('--token');
      const [action, name, ...extra] = args.filter((arg) => arg !== '--token');
      if (action !== 'add' || extra.length > 0 || (name !== undefined && !/^[a-z0-9._=/-]+$/.test(name))) {
        console.error(`${USAGE}\n  a name is lower-case letters, digits and . _ = / -`);
        return 2;
      }
      const info = await stackUp(log);
      const user = await registerUser(info, name);
      console.log(
        [
          `registered ${user.userId}; sign in (the app: npm start; the CLI: slipstream login) with:`,
          `  homeserver  ${info.baseUrl}`,
          `  username    ${user.username}`,
          `  password    ${user.password}`,
          ...(withToken ? [`  token       ${user.accessToken}`] : []),
        ].join('\n'),
      );
      return 0;
    }
    case 'up': {
      const scaleAt = args.indexOf('--scale');
      if (scaleAt !== -1) return scaledUp(args[scaleAt + 1]);
      const started = Date.now();
      const info = await stackUp(log, { restartStaleMediaServer: true });
      console.log(
        [
          `stack is up (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          `  baseUrl          ${info.baseUrl}   (media → ${info.mediaBackend})`,
          `  synapseProxyUrl  ${info.synapseProxyUrl}   (Synapse only, its own media repository)`,
          `  synapseUrl       ${info.synapseUrl}   (Synapse ${info.synapseVersion}, server name ${info.serverName})`,
          `  mediaServerUrl   ${info.mediaServerUrl}`,
          '  details          .stack/stack.json',
        ].join('\n'),
      );
      return 0;
    }
    case 'down':
      await scaledStackDown(log);
      await stackDown(log);
      console.log('stack is down');
      return 0;
    case 'status': {
      for (const component of await stackStatus()) {
        const state =
          component.pid === undefined
            ? 'stopped'
            : `running (pid ${component.pid})${component.healthy ? '' : ', NOT answering'}`;
        console.log(
          `${component.name.padEnd(13)} ${state}${component.pid !== undefined && component.url ? `  ${component.url}` : ''}`,
        );
      }
      for (const component of await scaledStackStatus()) {
        const state = component.pid === undefined ? 'stopped' : `running (pid ${component.pid})`;
        console.log(
          `${component.name.padEnd(15)} ${state}${component.pid !== undefined && component.url ? `  ${component.url}` : ''}`,
        );
      }
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv[2], process.argv.slice(3));
} catch (error) {
  if (error instanceof StackError) {
    console.error(`stack: ${error.message}`);
    if (error.detail) console.error(error.detail.replace(/^/gm, '  | '));
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
