import { type App, type BrowserWindow, Notification } from 'electron';
import { type ProgressSummary, type TransferOutcome, TransferProgressTracker } from '../core/app/progress-summary.js';
import type { EventName, PayloadOf } from '../../shared/ipc/contract-kit.js';
import type { AppContract } from '../../shared/ipc-contract.js';
import type { TransferUpdate } from '../../shared/transfer/transfer-update.js';
import { transferNotice } from '../../shared/app/transfer-notice.js';

/*
 * The transfers as the desktop shows them outside the window: the taskbar or dock progress bar over
 * everything in progress, the badge with the number of transfers moving, and a notification when one
 * completes or fails. What to show is decided in main/core/app/progress-summary.ts; this only draws it.
 */

export interface DesktopIntegrationOptions {
  readonly app: Pick<App, 'setBadgeCount'>;
  readonly window: () => Pick<BrowserWindow, 'setProgressBar' | 'isDestroyed'> | undefined;
  /** Brings the window forward (a notification was clicked). */
  readonly focusWindow: () => void;
}

export interface DesktopIntegration {
  /** Takes every event the engine pushes; acts on transfer updates and forgotten transfers. */
  observe(event: EventName<AppContract>, payload: unknown): void;
  /** The engine's list at start, for transfers that make no progress yet (queued, paused). */
  seed(updates: readonly TransferUpdate[]): void;
  /** Draws the bar again, on a window opened since. */
  redraw(): void;
}

export function createDesktopIntegration({ app, window, focusWindow }: DesktopIntegrationOptions): DesktopIntegration {
  const tracker = new TransferProgressTracker();
  // Notifications that can still be clicked: one that is collected early never reports its click.
  const shown = new Set<Notification>();
  let drawn = '';

  const draw = (summary: ProgressSummary) => {
    const target = window();
    const bar: [number, 'none' | 'normal' | 'indeterminate' | 'paused'] =
      summary.active + summary.paused === 0
        ? [-1, 'none']
        : summary.fraction === undefined
          ? [2, 'indeterminate']
          : [summary.fraction, summary.active > 0 ? 'normal' : 'paused'];
    // Progress arrives several times a second; the taskbar is redrawn only when what it shows changes.
    const key = `${bar[0].toFixed(3)} ${bar[1]} ${summary.active}`;
    if (key === drawn) return;
    drawn = key;
    if (target && !target.isDestroyed()) target.setProgressBar(bar[0], { mode: bar[1] });
    app.setBadgeCount(summary.active);
  };

  const notify = (update: TransferUpdate, outcome: TransferOutcome) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification(transferNotice(update, outcome));
    shown.add(notification);
    notification.on('click', () => {
      shown.delete(notification);
      focusWindow();
    });
    notification.on('close', () => shown.delete(notification));
    notification.show();
  };

  return {
    observe(event, payload) {
      if (event === 'transferUpdated') {
        const update = payload as PayloadOf<AppContract, 'transferUpdated'>;
        const outcome = tracker.apply(update);
        if (outcome) notify(update, outcome);
      } else if (event === 'transferForgotten') {
        tracker.forget((payload as PayloadOf<AppContract, 'transferForgotten'>).id);
      } else {
        return;
      }
      draw(tracker.summary());
    },
    seed(updates) {
      tracker.seed(updates);
      draw(tracker.summary());
    },
    redraw() {
      drawn = '';
      draw(tracker.summary());
    },
  };
}
