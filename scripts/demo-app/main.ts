import { join, relative } from 'node:path';
import { REPO_ROOT } from '../stack/paths.js';
import { stackDown, stackStatus, stackUp } from '../stack/stack.js';
import { buildElectronApp, electronForDemo, type RunningApp, startBrowserApp, startElectronApp } from './app-launch.js';
import { appFolderOf, demoPaths, type DemoSetup, prepareDemo } from './prepare-demo.js';

/*
 * `npm run demo`, the README's main job: the local stack, Alice and Bob in an encrypted room, a sample
 * video, and the app open for each of them (two Electron windows, or two browser hosts whose addresses
 * it prints) until Ctrl-C. scripts/demo.sh has set the machine up first.
 */

const say = (line: string) => process.stdout.write(`${line}\n`);
/** Paths inside the checkout are shown relative to it, to keep lines short. */
const shown = (path: string) => (path.startsWith(REPO_ROOT) ? relative(process.cwd(), path) || '.' : path);

function printElectronHelp(setup: DemoSetup): void {
  say(
    `Two Slipstream windows are open. Sign in to one as Alice and to the other as Bob, with the homeserver\n` +
      `${setup.homeserverUrl} and the usernames and passwords above; each window remembers its person next time.\n` +
      `Then drag the sample video into the room, or pick it with the app's file dialog.`,
  );
}

function printBrowserHelp(setup: DemoSetup, apps: readonly RunningApp[]): void {
  say(`Open each address in a browser window of its own and sign in with the homeserver ${setup.homeserverUrl}:`);
  for (const app of apps) {
    say(`  ${`${app.person.name}'s app`.padEnd(11)}  ${app.url}`);
    say(`  ${''.padEnd(11)}  username ${app.person.username}  password ${app.person.password}`);
  }
  say(
    `Then send the sample video into the room: drag it onto the page, or choose it in the app\n` +
      `(its file chooser lists your home and ${shown(demoPaths(setup.demoDir).videos)}).`,
  );
}

/** Each person's app, with data of its own: Electron where its binary is installed, else a browser host. */
async function startApps(setup: DemoSetup, apps: RunningApp[]): Promise<void> {
  const electron = await electronForDemo(say);
  if (electron) {
    say('\nOpening the desktop app twice, one window for each of them...');
    await buildElectronApp();
  } else {
    say("\nElectron's binary is not installed here, so each person's app runs in your browser instead.");
    say('Starting them (the first start after a change also builds the page: about half a minute)...');
  }
  // One after the other: the first builds the browser's page, if it must, and the second finds it built.
  for (const person of [setup.alice, setup.bob]) {
    const folder = appFolderOf(setup.demoDir, person);
    apps.push(
      electron
        ? await startElectronApp(person, {
            electron,
            userDataDir: join(folder, 'electron'),
            logFile: join(folder, 'electron.log'),
          })
        : await startBrowserApp(person, {
            dataDir: join(folder, 'browser'),
            folders: [demoPaths(setup.demoDir).videos],
            logFile: join(folder, 'browser-host.log'),
          }),
    );
  }
  if (electron) printElectronHelp(setup);
  else printBrowserHelp(setup, apps);
}

/** Resolves at Ctrl-C (or SIGTERM), or when every app has stopped by itself (its window closed). */
function untilStopped(apps: readonly RunningApp[]): Promise<void> {
  let stopping = false;
  return new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      resolve();
    };
    // Kept after the first: a second Ctrl-C does not cut the clean-up short.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    for (const app of apps) {
      void app.exited.then((code) => {
        if (!stopping) say(`${app.person.name}'s app has stopped (exit status ${code ?? 'a signal'}).`);
      });
    }
    void Promise.all(apps.map((app) => app.exited)).then(stop);
  });
}

async function main(): Promise<number> {
  say('Slipstream demo: Alice and Bob, an encrypted room, and a video for one to send the other.\n');
  // Any part of the stack running means someone uses it: then it is left running at the end.
  const wasRunning = (await stackStatus()).some((component) => component.pid !== undefined);
  say(wasRunning ? 'The local stack is running.' : 'Starting the local stack (Synapse, the media server, nginx)...');
  const stack = await stackUp((line) => say(`  stack: ${line}`), { restartStaleMediaServer: true });
  // Filled as each app starts, so one started before another failed is stopped too.
  const apps: RunningApp[] = [];
  try {
    const setup = await prepareDemo(stack, { say });
    await startApps(setup, apps);
    say('\nPress Ctrl-C to stop.');
    await untilStopped(apps);
    say('\nStopping the apps...');
    await Promise.all(apps.map((app) => app.stop()));
    say(
      `Stopped. Their data stays in ${shown(demoPaths(setup.demoDir).apps)}, so next time they are still signed in;\n` +
        `the accounts and their passwords are in ${shown(demoPaths(setup.demoDir).accounts)}.`,
    );
    return 0;
  } catch (error) {
    say(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    if (wasRunning) say('The local stack keeps running, as it was before (npm run stack -- down stops it).');
    else {
      await stackDown(() => undefined);
      say('Stopped the local stack, which was not running before the demo (its data stays for next time).');
    }
  }
}

process.exitCode = await main();
