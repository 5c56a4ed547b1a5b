import { useState } from 'react';
import { messageOf } from '../../text/error-message';

/** Runs one action at a time and keeps its failure in words for the view. */
export function useRoomAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (name: string, action: () => Promise<unknown>): Promise<boolean> => {
    if (busy) return false;
    setBusy(name);
    setError(null);
    try {
      await action();
      return true;
    } catch (error) {
      setError(messageOf(error));
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, error, run, clearError: () => setError(null) };
}
