import { describe, expect, it } from 'vitest';
import { defaultStateDirectory } from './state-directory.js';

describe('defaultStateDirectory', () => {
  it('follows XDG on Linux, ignoring a relative XDG_STATE_HOME', () => {
    expect(defaultStateDirectory({}, 'linux', '/home/ada')).toBe('/home/ada/.local/state/slipstream');
    expect(defaultStateDirectory({ XDG_STATE_HOME: '/var/x' }, 'linux', '/home/ada')).toBe('/var/x/slipstream');
    expect(defaultStateDirectory({ XDG_STATE_HOME: 'rel' }, 'linux', '/home/ada')).toBe(
      '/home/ada/.local/state/slipstream',
    );
  });

  it('uses the platform places on macOS and Windows, and the override everywhere', () => {
    expect(defaultStateDirectory({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Slipstream');
    expect(defaultStateDirectory({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\Users\\ada')).toContain('Slipstream');
    expect(defaultStateDirectory({ SLIPSTREAM_STATE_DIR: '/tmp/s' }, 'linux', '/home/ada')).toBe('/tmp/s');
  });
});
