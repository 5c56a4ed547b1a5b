/** Where the page stands with the process that answers the contract. */
export type ConnectionPhase =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected' }
  /** The connection dropped; the next attempt is at `retryAt` (epoch ms). */
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly retryAt: number }
  /** The host answers but no longer knows this browser: it was restarted with a new launch key. */
  | { readonly kind: 'refused' };

export const RESTARTED_MESSAGE = 'Slipstream was restarted, so this page has stopped working.';
