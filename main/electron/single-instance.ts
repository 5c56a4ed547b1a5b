import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { App } from 'electron';
import { z } from 'zod';

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

/** Those of `paths` that are absolute and name an existing file (links followed), in order, each once. */
export async function existingFiles(paths: readonly string[]): Promise<string[]> {
  const unique = [...new Set(paths)].filter((file) => path.isAbsolute(file) && !file.includes('\0'));
  const isFile = await Promise.all(
    unique.map((file) =>
      stat(file).then(
        (stats) => stats.isFile(),
        () => false,
      ),
    ),
  );
  return unique.filter((_, index) => isFile[index]);
}

/**
 * Files handed over wait here until the renderer takes them (`takeOpenedFiles`, which it calls once it
 * listens for `filesOpened`); from then on they are pushed as `filesOpened`, until its page reloads or
 * the window closes. Files arriving together (macOS sends one open-file per file) go as one event.
 */
export class OpenedFilesInbox {
  private pending: string[] = [];
  private listening = false;
  private scheduled = false;

  constructor(private readonly push: (paths: string[]) => void) {}

  deliver(paths: readonly string[]): void {
    for (const file of paths) if (!this.pending.includes(file)) this.pending.push(file);
    if (!this.listening || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.listening && this.pending.length > 0) this.push(this.take());
    });
  }

  /** The renderer asks for what is waiting; it listens for `filesOpened` from now on. */
  take(): string[] {
    this.listening = true;
    const paths = this.pending;
    this.pending = [];
    return paths;
  }

  /** The renderer's page is (re)loading or the window closed: files wait for the next take. */
  stopListening(): void {
    this.listening = false;
  }
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
