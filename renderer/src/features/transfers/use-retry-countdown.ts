import { useEffect, useState } from 'react';
import type { TransferUpdate } from '../../../../shared/transfer/transfer-update';

/** Seconds left before the engine's next attempt, counted down from when its update arrived. */
export function useRetryCountdown(retry: TransferUpdate['retry']): number | undefined {
  const [secondsLeft, setSecondsLeft] = useState<number | undefined>(undefined);
  const attempt = retry?.attempt;
  const inMs = retry?.inMs;
  useEffect(() => {
    if (inMs === undefined) {
      setSecondsLeft(undefined);
      return;
    }
    const deadline = Date.now() + inMs;
    const tick = () => setSecondsLeft(Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [attempt, inMs]);
  return secondsLeft;
}
