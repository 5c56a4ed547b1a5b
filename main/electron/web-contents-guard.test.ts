import { describe, expect, it, vi } from 'vitest';
import { rendererOrigin } from './renderer-origin.js';
import { FakeWebContents } from './testing/fake-electron.js';
import { denyPermissions, guardWebContents } from './web-contents-guard.js';

function guarded(): FakeWebContents {
  const contents = new FakeWebContents();
  guardWebContents(contents as never, rendererOrigin().isTrusted);
  return contents;
}

function attempt(contents: FakeWebContents, event: string, url: string): boolean {
  const preventDefault = vi.fn();
  contents.emit(event, { url, preventDefault });
  return preventDefault.mock.calls.length === 0;
}

describe('guardWebContents', () => {
  it.each(['will-navigate', 'will-redirect'])(
    'refuses %s to anywhere outside the app, and allows it within',
    (event) => {
      const contents = guarded();
      expect(attempt(contents, event, 'https://evil.example/phish')).toBe(false);
      expect(attempt(contents, event, 'file:///etc/passwd')).toBe(false);
      expect(attempt(contents, event, 'slipstream-media://transfer/abc/film.mp4')).toBe(false);
      expect(attempt(contents, event, 'slipstream-app://renderer/index.html')).toBe(true);
    },
  );

  it('denies every new window', () => {
    const contents = guarded();
    expect(contents.windowOpenHandler?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'slipstream-app://renderer/index.html' })).toEqual({ action: 'deny' });
  });

  it('refuses to attach a webview', () => {
    const contents = guarded();
    expect(attempt(contents, 'will-attach-webview', 'https://example.org/')).toBe(false);
  });
});

describe('denyPermissions', () => {
  it('refuses every permission request and check but full screen (a video preview’s button)', () => {
    const session = { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() };
    denyPermissions(session as never);
    const [requestHandler] = session.setPermissionRequestHandler.mock.calls[0] as [
      (contents: unknown, permission: string, callback: (granted: boolean) => void) => void,
    ];
    const [checkHandler] = session.setPermissionCheckHandler.mock.calls[0] as [
      (contents: unknown, permission: string) => boolean,
    ];
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      requestHandler({}, permission, callback);
      expect(callback, permission).toHaveBeenCalledExactlyOnceWith(false);
    }
    expect(checkHandler({}, 'media')).toBe(false);
    expect(checkHandler({}, 'notifications')).toBe(false);
    const fullscreen = vi.fn();
    requestHandler({}, 'fullscreen', fullscreen);
    expect(fullscreen).toHaveBeenCalledExactlyOnceWith(true);
    expect(checkHandler({}, 'fullscreen')).toBe(true);
  });
});
