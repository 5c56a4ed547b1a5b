import { isFinalStatus, type TransferUpdate } from '../../../shared/transfer/transfer-update.js';

/*
 * What the desktop shows of the transfers outside the window: one progress bar on the taskbar or dock
 * for everything in progress, a badge with the number of transfers moving, and a notification when
 * one completes or fails. Kept apart from Electron so the arithmetic and the "when to notify" rule are
 * tested without it (main/electron/desktop-integration.ts only draws the result).
 */

export interface ProgressSummary {
  /** Transfers moving or waiting for a slot (queued, uploading, downloading): the badge's number. */
  readonly active: number;
  /** Transfers paused by the user; they stay on the progress bar, which shows them as paused. */
  readonly paused: number;
  /**
   * Bytes done over bytes to do, 0 to 1, across active and paused transfers; undefined when nothing
   * is in progress or no size is known yet (the bar is then indeterminate).
   */
  readonly fraction: number | undefined;
}

/**
 * The summary of the transfers' latest updates; finished ones (completed, failed, cancelled) take no
 * part, nor do receives with every byte that wait for their sender's outcome event: nothing moves
 * there, and it may never come (docs/PROTOCOL.md §7), which would hold the bar up for good.
 */
export function summariseProgress(updates: Iterable<TransferUpdate>): ProgressSummary {
  let active = 0;
  let paused = 0;
  let done = 0;
  let total = 0;
  for (const update of updates) {
    if (isFinalStatus(update.status) || update.waitingForOutcome) continue;
    if (update.status === 'paused') paused += 1;
    else active += 1;
    done += Math.min(update.bytesDone, update.bytesTotal);
    total += update.bytesTotal;
  }
  const fraction = active + paused > 0 && total > 0 ? done / total : undefined;
  return { active, paused, fraction };
}

/** How a transfer ended, when that deserves telling the user. */
export type TransferOutcome = 'completed' | 'failed';

/**
 * The latest update of every transfer in progress. A transfer is announced as completed or failed
 * only when it was seen unfinished first: the engine lists transfers that finished in an earlier run
 * too, and those must not notify again at every start.
 */
export class TransferProgressTracker {
  private readonly inProgress = new Map<string, TransferUpdate>();
  /** Every transfer an update was applied for, finished or not (a few bytes each, for one run). */
  private readonly heard = new Set<string>();

  /** Records an update; returns its outcome when this update is the transfer finishing. */
  apply(update: TransferUpdate): TransferOutcome | undefined {
    this.heard.add(update.id);
    const wasInProgress = this.inProgress.has(update.id);
    if (!isFinalStatus(update.status)) {
      this.inProgress.set(update.id, update);
      return undefined;
    }
    this.inProgress.delete(update.id);
    if (!wasInProgress) return undefined;
    return update.status === 'completed' || update.status === 'failed' ? update.status : undefined;
  }

  /**
   * Takes in a listing made at some moment: only transfers no update was applied for, so a listing
   * answered after newer updates (or a transfer's end) arrived cannot set them back. Announces nothing.
   */
  seed(updates: Iterable<TransferUpdate>): void {
    for (const update of updates) {
      if (!this.heard.has(update.id) && !isFinalStatus(update.status)) this.inProgress.set(update.id, update);
    }
  }

  forget(id: string): void {
    this.heard.add(id);
    this.inProgress.delete(id);
  }

  summary(): ProgressSummary {
    return summariseProgress(this.inProgress.values());
  }
}
