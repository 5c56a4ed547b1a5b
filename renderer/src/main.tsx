import { createRoot } from 'react-dom/client';
import { App, StartingUp } from './App';
import { createAppStores } from './app/create-app-stores';
import { applyTheme } from './app/theme';
import { openPlatform, type Platform } from './platform/platform';
import { messageOf } from './text/error-message';
import './app.css';
import './layout.css';
import './transfers.css';
import './dialogs.css';
import './rooms.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element to render Slipstream into');

function connected(platform: Platform): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (platform.connection.getState().phase.kind !== 'connected') return false;
      unsubscribe?.();
      resolve();
      return true;
    };
    let unsubscribe: (() => void) | undefined;
    if (!check()) unsubscribe = platform.connection.subscribe(check);
  });
}

// The stores are made once, outside React: files handed over at start are given to the page only once,
// and a component that mounted twice must not take them twice.
applyTheme('system');
const platform = openPlatform();
const root = createRoot(container);
root.render(<StartingUp platform={platform} />);
connected(platform)
  .then(() => createAppStores(platform))
  .then(
    (stores) => root.render(<App stores={stores} />),
    (error: unknown) => root.render(<StartingUp platform={platform} failure={messageOf(error)} />),
  );
