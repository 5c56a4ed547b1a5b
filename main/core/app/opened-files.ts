import { stat } from 'node:fs/promises';
import path from 'node:path';

/*
 * Files handed to the app from outside — a second launch, the macOS dock, the command line, the browser
 * host's hand-off — on their way to the renderer as `filesOpened`. Only paths naming an existing file
 * go on: whatever another process passes is checked.
 */

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
