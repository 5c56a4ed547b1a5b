import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Slipstream keeps state that must survive a restart (transfer records, the fallback secret
 * store's key) when no directory is given: the platform's standard place for application state.
 * Linux and other Unixes follow the XDG Base Directory specification (`$XDG_STATE_HOME`, else
 * `~/.local/state`); macOS uses `~/Library/Application Support`; Windows `%LOCALAPPDATA%`.
 * `SLIPSTREAM_STATE_DIR` overrides all of them.
 */
export function defaultStateDirectory(
  environment: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (environment['SLIPSTREAM_STATE_DIR']) return environment['SLIPSTREAM_STATE_DIR'];
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Slipstream');
  if (platform === 'win32') return join(environment['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local'), 'Slipstream');
  const xdgState = environment['XDG_STATE_HOME'];
  // The specification says a relative path is invalid and must be ignored.
  const base = xdgState && xdgState.startsWith('/') ? xdgState : join(home, '.local', 'state');
  return join(base, 'slipstream');
}
