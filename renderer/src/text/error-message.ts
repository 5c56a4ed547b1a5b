/**
 * The sentence to show for a failure. Failures from the contract (IpcError) already carry one written
 * for people, shown as it is; anything else is a bug in the page, said plainly rather than hidden.
 */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'string' && error) return error;
  return 'Something went wrong in Slipstream’s window; reload it and try again.';
}
