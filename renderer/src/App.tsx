import { StrictMode } from 'react';
import { AppShell } from './app/AppShell';
import { Brand } from './components/Brand';
import { type AppStores, AppStoresContext } from './app/app-stores';
import { ConnectionBanner } from './app/ConnectionBanner';
import type { Platform } from './platform/platform';

/** The app, once the main side answered and the stores hold what it said. */
export function App({ stores }: { readonly stores: AppStores }) {
  return (
    <StrictMode>
      <AppStoresContext.Provider value={stores}>
        <AppShell />
      </AppStoresContext.Provider>
    </StrictMode>
  );
}

/** Before that: the name, and where the connection stands (connecting, or why it cannot). */
export function StartingUp({ platform, failure }: { readonly platform: Platform; readonly failure?: string }) {
  return (
    <StrictMode>
      <div className="app-shell">
        <header className="app-header">
          <Brand />
        </header>
        <ConnectionBanner platform={platform} />
        {failure && (
          <div className="banner banner-error" role="alert">
            <p>Slipstream could not start: {failure}</p>
          </div>
        )}
      </div>
    </StrictMode>
  );
}
