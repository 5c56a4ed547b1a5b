import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useScratchDirectory } from '../../../tests/support/transfer.js';
import { placeWindow, type WindowState, WindowStateFile, WindowStateRecorder } from './window-state.js';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const monitorOnTheRight = { x: 1440, y: -200, width: 2560, height: 1400 };

const saved = (x: number, y: number, width: number, height: number, maximized = false): WindowState => ({
  bounds: { x, y, width, height },
  maximized,
});

describe('placeWindow', () => {
  it('opens at the default size, centred (no position), when nothing was saved', () => {
    expect(placeWindow(undefined, [laptop])).toEqual({ width: 1100, height: 760, maximized: false });
  });

  it('never opens larger than the primary display when nothing was saved', () => {
    expect(placeWindow(undefined, [{ x: 0, y: 0, width: 800, height: 600 }])).toEqual({
      width: 800,
      height: 600,
      maximized: false,
    });
  });

  it('keeps saved bounds that lie inside a display, and the maximised flag', () => {
    expect(placeWindow(saved(1600, 0, 1200, 900, true), [laptop, monitorOnTheRight])).toEqual({
      x: 1600,
      y: 0,
      width: 1200,
      height: 900,
      maximized: true,
    });
  });

  it('moves a window hanging off the edge back wholly inside the display it overlaps most', () => {
    // 440 × 375 px on the laptop, 160 × 500 on the monitor.
    expect(placeWindow(saved(1000, 500, 600, 500), [laptop, monitorOnTheRight])).toEqual({
      x: 840,
      y: 375,
      width: 600,
      height: 500,
      maximized: false,
    });
  });

  it('shrinks a window saved on a larger display to fit the one it is on now', () => {
    expect(placeWindow(saved(1500, -100, 2400, 1300), [laptop, { x: 1440, y: 0, width: 1280, height: 1024 }])).toEqual({
      x: 1440,
      y: 0,
      width: 1280,
      height: 1024,
      maximized: false,
    });
  });

  it('opens centred when the display it was saved on is gone', () => {
    expect(placeWindow(saved(2000, 100, 1000, 700, true), [laptop])).toEqual({
      width: 1100,
      height: 760,
      maximized: true,
    });
  });
});

describe('WindowStateFile', () => {
  const scratch = useScratchDirectory('window-state');

  it('saves and loads the state', async () => {
    const file = new WindowStateFile(join(scratch.path, 'window-state.json'));
    await file.save(saved(10, 20, 900, 700, true));
    expect(await file.load()).toEqual(saved(10, 20, 900, 700, true));
  });

  it('has nothing when no state was saved, and ignores a damaged file with a log line', async () => {
    const log = vi.fn();
    const path = join(scratch.path, 'window-state.json');
    const file = new WindowStateFile(path, log);
    expect(await file.load()).toBeUndefined();
    expect(log).not.toHaveBeenCalled();
    await writeFile(path, '{"bounds": {"x": "left"}}');
    expect(await file.load()).toBeUndefined();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('not valid'));
  });
});

describe('WindowStateRecorder', () => {
  const scratch = useScratchDirectory('window-state-recorder');
  afterEach(() => vi.useRealTimers());

  it('writes once, a moment after the last change, with the latest state', async () => {
    vi.useFakeTimers();
    const save = vi.fn(async (_state: WindowState) => undefined);
    const recorder = new WindowStateRecorder({ save }, () => undefined, 1000);
    recorder.record(saved(0, 0, 800, 600));
    await vi.advanceTimersByTimeAsync(500);
    recorder.record(saved(5, 5, 810, 610));
    await vi.advanceTimersByTimeAsync(999);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith(saved(5, 5, 810, 610));
  });

  it('writes at once on flush, and flushing again with nothing new writes nothing', async () => {
    const path = join(scratch.path, 'window-state.json');
    const file = new WindowStateFile(path);
    const save = vi.spyOn(file, 'save');
    const recorder = new WindowStateRecorder(file, () => undefined, 60_000);
    recorder.record(saved(1, 2, 700, 500));
    await recorder.flush();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(saved(1, 2, 700, 500));
    await recorder.flush();
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('reports a write that fails instead of throwing', async () => {
    const log = vi.fn();
    const recorder = new WindowStateRecorder({ save: () => Promise.reject(new Error('disk full')) }, log);
    recorder.record(saved(0, 0, 800, 600));
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('disk full'));
  });
});
