import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransferUpdate } from '../../shared/transfer/transfer-update.js';
import { createDesktopIntegration } from './desktop-integration.js';
import { FakeBrowserWindow, FakeNotification } from './testing/fake-electron.js';

vi.mock('electron', async () => (await import('./testing/fake-electron.js')).fakeElectron);

function update(id: string, patch: Partial<TransferUpdate>): TransferUpdate {
  return {
    id,
    direction: 'send',
    status: 'uploading',
    createdAt: 1_800_000_000_000,
    fileName: `${id}.mp4`,
    mimetype: 'video/mp4',
    bytesDone: 0,
    bytesTotal: 100,
    rate: 0,
    ...patch,
  };
}

let window: FakeBrowserWindow;
const app = { setBadgeCount: vi.fn(() => true) };
const focusWindow = vi.fn();

beforeEach(() => {
  window = new FakeBrowserWindow({});
  app.setBadgeCount.mockClear();
  focusWindow.mockClear();
  FakeNotification.shown.length = 0;
});

const integration = () => createDesktopIntegration({ app, window: () => window, focusWindow });

describe('the desktop integration', () => {
  it('draws one progress bar over every transfer in progress and badges the number moving', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('a', { bytesDone: 25 }));
    expect(window.setProgressBar).toHaveBeenLastCalledWith(0.25, { mode: 'normal' });
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(1);
    desktop.observe('transferUpdated', update('b', { direction: 'receive', status: 'downloading', bytesDone: 75 }));
    expect(window.setProgressBar).toHaveBeenLastCalledWith(0.5, { mode: 'normal' });
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(2);
  });

  it('shows the bar as paused when only paused transfers are left, and removes it when none are', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('a', { status: 'paused', bytesDone: 40 }));
    expect(window.setProgressBar).toHaveBeenLastCalledWith(0.4, { mode: 'paused' });
    expect(app.setBadgeCount).toHaveBeenLastCalledWith(0);
    desktop.observe('transferForgotten', { id: 'a' });
    expect(window.setProgressBar).toHaveBeenLastCalledWith(-1, { mode: 'none' });
  });

  it('shows an indeterminate bar while no size is known', () => {
    integration().observe('transferUpdated', update('a', { status: 'queued', bytesTotal: 0 }));
    expect(window.setProgressBar).toHaveBeenLastCalledWith(2, { mode: 'indeterminate' });
  });

  it('draws again only when what it shows changes', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('a', { bytesDone: 10, rate: 5 }));
    desktop.observe('transferUpdated', update('a', { bytesDone: 10, rate: 7 }));
    expect(window.setProgressBar).toHaveBeenCalledOnce();
  });

  it('notifies when a transfer it saw running completes or fails, and a click brings the window forward', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('a', {}));
    desktop.observe('transferUpdated', update('b', { direction: 'receive', status: 'downloading' }));
    desktop.observe('transferUpdated', update('a', { status: 'completed', bytesDone: 100 }));
    desktop.observe('transferUpdated', {
      ...update('b', { direction: 'receive', status: 'failed' }),
      failure: { code: 'DISK_FULL', message: 'The disk is full; free some space and retry.' },
    });
    expect(FakeNotification.shown.map((notification) => notification.options)).toEqual([
      { title: 'Sent a.mp4', body: 'It is uploaded; everyone in the room can download it.' },
      { title: 'Could not receive b.mp4', body: 'The disk is full; free some space and retry.' },
    ]);
    FakeNotification.shown[0]!.emit('click');
    expect(focusWindow).toHaveBeenCalledOnce();
    expect(window.setProgressBar).toHaveBeenLastCalledWith(-1, { mode: 'none' });
  });

  it('names where a received file was saved', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('c', { direction: 'receive', status: 'downloading' }));
    desktop.observe(
      'transferUpdated',
      update('c', { direction: 'receive', status: 'completed', savedPath: '/home/alice/Downloads/c.mp4' }),
    );
    expect(FakeNotification.shown.at(-1)?.options).toEqual({
      title: 'Received c.mp4',
      body: 'Saved as /home/alice/Downloads/c.mp4',
    });
  });

  it('does not notify for transfers that had finished before it heard of them, nor for cancellations', () => {
    const desktop = integration();
    desktop.observe('transferUpdated', update('old', { status: 'completed', bytesDone: 100 }));
    desktop.observe('transferUpdated', update('c', {}));
    desktop.observe('transferUpdated', update('c', { status: 'cancelled' }));
    expect(FakeNotification.shown).toEqual([]);
  });

  it('puts the engine’s listing at start on the bar, and draws on a window opened later', () => {
    const desktop = integration();
    desktop.seed([
      update('queued', { status: 'queued', bytesDone: 0, bytesTotal: 50 }),
      update('p', { status: 'paused', bytesDone: 50 }),
    ]);
    expect(window.setProgressBar).toHaveBeenLastCalledWith(50 / 150, { mode: 'normal' });
    window = new FakeBrowserWindow({});
    desktop.redraw();
    expect(window.setProgressBar).toHaveBeenLastCalledWith(50 / 150, { mode: 'normal' });
  });

  it('ignores the other events', () => {
    integration().observe('settingsChanged', {});
    expect(window.setProgressBar).not.toHaveBeenCalled();
  });
});
