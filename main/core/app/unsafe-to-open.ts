import { extname } from 'node:path';
import { IpcError } from '../../../shared/ipc/ipc-error.js';

/**
 * Kinds of file that run code when "opened": a received program is never started by a click in the
 * app — a person who trusts it can find it with Show in folder. The list follows what Chromium and
 * the operating systems treat as dangerous downloads.
 */
const RUNS_CODE = new Set(
  [
    // Windows
    'exe',
    'com',
    'bat',
    'cmd',
    'msi',
    'msp',
    'scr',
    'pif',
    'cpl',
    'ps1',
    'psm1',
    'vbs',
    'vbe',
    'js',
    'jse',
    'wsf',
    'wsh',
    'hta',
    'lnk',
    'reg',
    'inf',
    'appx',
    'msix',
    'application',
    // macOS
    'app',
    'command',
    'pkg',
    'mpkg',
    'workflow',
    'terminal',
    'scpt',
    'applescript',
    // Linux and anywhere
    'sh',
    'bash',
    'zsh',
    'csh',
    'desktop',
    'appimage',
    'run',
    'bin',
    'deb',
    'rpm',
    'jar',
    'py',
    'pl',
    'rb',
  ].map((extension) => `.${extension}`),
);

export function assertSafeToOpen(path: string): void {
  if (RUNS_CODE.has(extname(path).toLowerCase())) {
    throw new IpcError(
      'UNSAFE_TO_OPEN',
      `Slipstream does not start programs it received (${extname(path)}). If you trust the sender, use Show in folder and open it from there.`,
    );
  }
}
