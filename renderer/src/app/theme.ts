import type { Theme } from '../../../shared/app/settings';

/*
 * The Theme setting on the page: `data-theme` on the root element is always "light" or "dark", so the
 * stylesheet has one rule per theme; while the setting is "system" it follows the system's choice as
 * it changes (matchMedia), as Chromium reports it in Electron and in a browser alike.
 */

const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');
let current: Theme = 'system';
let listening = false;

function paint(): void {
  const dark = current === 'dark' || (current === 'system' && darkQuery().matches);
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  current = theme;
  if (!listening) {
    listening = true;
    darkQuery().addEventListener('change', paint);
  }
  paint();
}
