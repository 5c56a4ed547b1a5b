import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../state/durable-file.js';

/*
 * The window's size and position, remembered between runs. Electron only reads the displays and the
 * window (main/electron/renderer-window.ts); where the window may open and when the state is written
 * are decided here, without it.
 */

export interface Rectangle {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const rectangleSchema = z.strictObject({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const windowStateSchema = z.strictObject({
  /** The bounds when neither maximised nor full screen (Electron's `getNormalBounds`). */
  bounds: rectangleSchema,
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

/** Where the window opens. Without x and y, Electron centres it on the primary display. */
export interface WindowPlacement {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

export const DEFAULT_WINDOW_SIZE = { width: 1100, height: 760 } as const;
export const MINIMUM_WINDOW_SIZE = { width: 640, height: 480 } as const;

function overlap(a: Rectangle, b: Rectangle): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(value, high));

/**
 * Where to open the window: its saved bounds, moved and shrunk to lie wholly inside the work area of the
 * display they overlap most, so a window saved on a monitor since unplugged, or a larger resolution,
 * never opens out of reach. With nothing saved, or bounds that touch no display any more, it opens at
 * the default size, centred. `workAreas[0]` is the primary display's.
 */
export function placeWindow(saved: WindowState | undefined, workAreas: readonly Rectangle[]): WindowPlacement {
  const primary = workAreas[0];
  const centred = (maximized: boolean): WindowPlacement => ({
    width: primary ? Math.min(DEFAULT_WINDOW_SIZE.width, primary.width) : DEFAULT_WINDOW_SIZE.width,
    height: primary ? Math.min(DEFAULT_WINDOW_SIZE.height, primary.height) : DEFAULT_WINDOW_SIZE.height,
    maximized,
  });
  if (!saved) return centred(false);
  let best: Rectangle | undefined;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const shared = overlap(saved.bounds, area);
    if (shared > bestOverlap) [best, bestOverlap] = [area, shared];
  }
  if (!best) return centred(saved.maximized);
  const width = Math.min(saved.bounds.width, best.width);
  const height = Math.min(saved.bounds.height, best.height);
  return {
    x: clamp(saved.bounds.x, best.x, best.x + best.width - width),
    y: clamp(saved.bounds.y, best.y, best.y + best.height - height),
    width,
    height,
    maximized: saved.maximized,
  };
}

/** The window state's file in the app's data directory. */
export class WindowStateFile {
  constructor(
    private readonly path: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** The saved state; undefined when there is none or it cannot be read (the window then opens centred). */
  async load(): Promise<WindowState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log(`the window's saved position cannot be read (${(error as Error).message})`);
      }
      return undefined;
    }
    try {
      return windowStateSchema.parse(JSON.parse(text));
    } catch {
      this.log(`ignored the window's saved position in ${this.path}: it is not valid`);
      return undefined;
    }
  }

  async save(state: WindowState): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(windowStateSchema.parse(state))}\n`, 0o644);
  }
}

/**
 * Writes the window state a moment after the last move or resize, not at every pixel of a drag, and
 * at once when asked (`flush`, before the app quits). A write that fails is reported, never thrown.
 */
export class WindowStateRecorder {
  private pending: WindowState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: Pick<WindowStateFile, 'save'>,
    private readonly log: (line: string) => void,
    private readonly delayMs = 1000,
  ) {}

  record(state: WindowState): void {
    this.pending = state;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Writes the latest recorded state, if any is unwritten; resolves when it is on disk. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    const state = this.pending;
    this.pending = undefined;
    if (state) {
      this.writing = this.writing.then(() =>
        this.file.save(state).catch((error: unknown) => {
          this.log(`the window's position could not be saved (${(error as Error).message})`);
        }),
      );
    }
    return this.writing;
  }
}
