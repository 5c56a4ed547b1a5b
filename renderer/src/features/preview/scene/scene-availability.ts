import type { TransferUpdate } from '../../../../../shared/transfer/transfer-update';
import { percentOf } from '../../../text/quantities';
import { SceneFileError } from './scene-file-error';

/**
 * What a scene card can show from this device's transfer of the file. A receive's bytes are parsed
 * only once it is `completed`: the engine publishes a received file only after it verified it, and a
 * scene half-parsed from bytes not yet authenticated as a whole must never be drawn. A send is the
 * sender's own file, whole on this device from the start, so it shows at once.
 */
export type SceneAvailability =
  | { readonly kind: 'offered' }
  | { readonly kind: 'arriving'; readonly words: string; readonly percent: number | undefined }
  | { readonly kind: 'ready' }
  /** Failed or cancelled: the card says why, the viewer has nothing to add. */
  | { readonly kind: 'gone' };

export function sceneAvailabilityOf(transfer: TransferUpdate | undefined): SceneAvailability {
  if (!transfer) return { kind: 'offered' };
  if (transfer.status === 'failed' || transfer.status === 'cancelled') return { kind: 'gone' };
  if (transfer.direction === 'send' || transfer.status === 'completed') return { kind: 'ready' };
  const percent = percentOf(transfer.bytesDone, transfer.bytesTotal);
  if (transfer.status === 'queued')
    return { kind: 'arriving', words: 'Scene waiting to download…', percent: undefined };
  if (transfer.status === 'paused') return { kind: 'arriving', words: `Scene paused at ${percent} %`, percent };
  if (transfer.waitingForOutcome)
    return { kind: 'arriving', words: 'Scene here; it opens once the sender confirms it…', percent: 100 };
  return { kind: 'arriving', words: `Scene arriving… ${percent} %`, percent };
}

const LOADER_PREFIX = /^THREE\.\w+:\s*/;

/**
 * The reason that completes "This scene could not be shown:", from whatever loading threw: the
 * viewer's own refusals as they are, three.js's errors without their prefix, a failed read as the
 * media handler worded it.
 */
export function sceneFailureReason(error: unknown): string {
  if (error instanceof SceneFileError) return error.message;
  if (error instanceof Error) {
    if (error.name === 'SyntaxError') return `its glTF JSON is not valid (${error.message}).`;
    if (error instanceof RangeError) return 'its data ends before what it describes (the file is damaged).';
    const message = error.message.replace(LOADER_PREFIX, '').trim();
    if (message) return /[.!?]$/.test(message) ? message : `${message}.`;
  }
  return 'something went wrong while reading it.';
}

/** The sentence for a scene that cannot be shown. */
export function sceneProblemSentence(error: unknown): string {
  return `This scene could not be shown: ${sceneFailureReason(error)}`;
}
