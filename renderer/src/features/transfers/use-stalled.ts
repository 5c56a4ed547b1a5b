import { useEffect, useState } from 'react';
import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';

const STALLED_AFTER_MS = 3000;

/**
 * Whether a download has had no new bytes for a few seconds: then it waits for the sender. Judged here
 * from the bytes, not from the rate, because the engine reports progress, and a download with none
 * sends no update to bring its last rate down.
 */
export function useStalled(transfer: TransferUpdate | undefined): boolean {
  const watching = transfer?.status === 'downloading' && !transfer.retry && !transfer.waitingForOutcome;
  const bytes = transfer?.bytesDone;
  const [stalled, setStalled] = useState(false);
  useEffect(() => {
    setStalled(false);
    if (!watching) return;
    const timer = setTimeout(() => setStalled(true), STALLED_AFTER_MS);
    return () => clearTimeout(timer);
  }, [watching, bytes]);
  return watching && stalled;
}
