import path from 'node:path';
import type { App } from 'electron';
import { z } from 'zod';
import { existingFiles, type OpenedFilesInbox } from '../core/app/opened-files.js';

/*
 * Files handed to the app from outside — its own command line, a second launch (`slipstream film.mp4`
 * while it runs, a file opened with it from the file manager), the macOS dock — reach the renderer as
 * `filesOpened`. Only paths naming an existing file go on: whatever another process passes is checked.
 */

const MAX_FILES = 1000;

/** What a second launch hands the running app (`requestSingleInstanceLock`'s additional data). */
const handedOverSchema = z.object({ files: z.array(z.string().max(4096)).max(MAX_FILES) });

/** The file arguments of a command line (after the executable and app path): every non-switch, made absolute. */
export function fileArguments(args: readonly string[], cwd: string): string[] {
  return args
    .filter((arg) => arg.length > 0 && !arg.startsWith('-'))
    .slice(0, MAX_FILES)
    .map((arg) => path.resolve(cwd, arg));
}

export interface SingleInstanceOptions {
  /** This process's arguments after the executable (and, unpackaged, the app's path). */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly inbox: Pick<OpenedFilesInbox, 'deliver'>;
  /** Another launch happened: bring the window forward. */
  readonly onSecondLaunch: () => void;
}

/**
 * Makes this process the app's only instance. Returns false when another one runs: this one has
 * handed its files over and must quit. A second launch's own argv is not used: Chromium reorders it
 * and adds switches, so its files come as the lock's additional data instead.
 */
export function claimSingleInstance(
  app: Pick<App, 'requestSingleInstanceLock' | 'on'>,
  { args, cwd, inbox, onSecondLaunch }: SingleInstanceOptions,
): boolean {
  const ownFiles = fileArguments(args, cwd);
  if (!app.requestSingleInstanceLock({ files: ownFiles })) return false;
  const handOver = (paths: readonly string[]) =>
    void existingFiles(paths).then((files) => {
      if (files.length > 0) inbox.deliver(files);
    });
  handOver(ownFiles);
  app.on('second-instance', (_event, _argv, _workingDirectory, additionalData) => {
    onSecondLaunch();
    const handedOver = handedOverSchema.safeParse(additionalData);
    if (handedOver.success) handOver(handedOver.data.files);
  });
  // macOS: a file dropped on the dock icon or opened with the app, before or after it is ready.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    handOver([file]);
  });
  return true;
}
