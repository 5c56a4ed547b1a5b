import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import type { HostPlatform } from '../app/app-backend.js';

/** The command that opens a path with the desktop's default program, if this machine has a desktop. */
function openerFor(
  path: string,
  reveal: boolean,
  platform: NodeJS.Platform,
  environment: NodeJS.ProcessEnv,
): [string, string[]] | undefined {
  if (platform === 'darwin') return ['open', reveal ? ['-R', path] : [path]];
  if (platform === 'win32') return reveal ? ['explorer.exe', [`/select,${path}`]] : ['explorer.exe', [path]];
  // Other Unixes: xdg-open, which needs a graphical session; it cannot select a file, so reveal opens its folder.
  if (!environment['DISPLAY'] && !environment['WAYLAND_DISPLAY']) return undefined;
  return ['xdg-open', [reveal ? dirname(path) : path]];
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', reject);
    // The opener hands the file to another program and returns; waiting longer would wait for that program.
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * The browser host's shell: opens files and folders with the machine's own programs. The browser host
 * often runs where there is no desktop (a server, a remote session); then it says where the file is.
 */
export function systemOpener(platform = process.platform, environment = process.env): HostPlatform {
  const open = async (path: string, reveal: boolean) => {
    const opener = openerFor(path, reveal, platform, environment);
    const where = reveal ? `It is in ${dirname(path)}.` : `It is at ${path}.`;
    if (!opener) throw new IpcError('NO_DESKTOP', `This machine has no desktop session to open it in. ${where}`);
    try {
      await run(...opener);
    } catch {
      throw new IpcError(
        'NO_DESKTOP',
        `No program to open files with was found on this machine (${opener[0]}). ${where}`,
      );
    }
  };
  return { showItemInFolder: (path) => open(path, true), openPath: (path) => open(path, false) };
}
