import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { RESTARTED_MESSAGE } from '../platform/connection-phase';
import type { Platform } from '../platform/platform';

function useSecondsUntil(epochMs: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (epochMs === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [epochMs]);
  return epochMs === undefined ? undefined : Math.max(0, Math.ceil((epochMs - now) / 1000));
}

/** Says plainly when the page has lost Slipstream, and what to do about it; nothing while all is well. */
export function ConnectionBanner({ platform }: { readonly platform: Platform }) {
  const phase = useStore(platform.connection, (state) => state.phase);
  const retryIn = useSecondsUntil(phase.kind === 'reconnecting' ? phase.retryAt : undefined);
  if (phase.kind === 'connected') return null;
  if (phase.kind === 'refused') {
    return (
      <div className="banner banner-error" role="alert">
        <p>
          <strong>{RESTARTED_MESSAGE}</strong> Open the new link shown where Slipstream is running (it ends in
          /open?key=…); running <code>slipstream app</code> again prints it too.
        </p>
      </div>
    );
  }
  if (phase.kind === 'connecting') {
    return (
      <div className="banner" role="status">
        <p>Connecting to Slipstream…</p>
      </div>
    );
  }
  return (
    <div className="banner banner-warning" role="status">
      <p>
        Lost the connection to Slipstream. Trying again {retryIn ? `in ${retryIn} s` : 'now'}… If you stopped
        Slipstream, start it again and open the link it prints.
      </p>
    </div>
  );
}
