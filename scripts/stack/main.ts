/*
 * `npm run stack -- up|down|status`: the local Synapse + media server + nginx stack of issue 3, all on
 * 127.0.0.1, state under .stack/. See docs/deploy.md for the nginx routing it reproduces.
 * `npm run stack -- user add [<name>]` registers a user on it and prints how to sign in.
 */
import { StackError } from './errors.js';
import { stackDown, stackStatus, stackUp } from './stack.js';
import { registerUser } from './users.js';

const USAGE = 'usage: npm run stack -- up|down|status|user add [<name>]';
const log = (line: string): void => console.error(`stack: ${line}`);

async function main(command: string | undefined, args: string[]): Promise<number> {
  switch (command) {
    case 'user': {
      const [action, name] = args;
      if (action !== 'add' || args.length > 2 || (name !== undefined && !/^[a-z0-9._=/-]+$/.test(name))) {
        console.error(`${USAGE}\n  a name is lower-case letters, digits and . _ = / -`);
        return 2;
      }
      const info = await stackUp(log);
      const user = await registerUser(info, name);
      console.log(
        [
          `registered ${user.userId}; sign in to the app (npm start) with:`,
          `  homeserver  ${info.baseUrl}`,
          `  username    ${user.username}`,
          `  password    ${user.password}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'up': {
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
