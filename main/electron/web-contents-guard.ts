import type { Session, WebContents } from 'electron';

/*
 * What no page in the app may do, applied to every WebContents as it is created (app's
 * 'web-contents-created'), so a window added later cannot forget it: leave the renderer's origin,
 * open windows, embed a <webview>, or be granted a browser permission.
 */

export function guardWebContents(
  contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>,
  isTrusted: (url: string) => boolean,
): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isTrusted(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isTrusted(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The one permission the renderer may have: a video preview's full-screen button. */
const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['fullscreen']);

/**
 * The renderer asks for no other browser permission (camera, geolocation, notifications — main shows
 * those itself); every other request and check is refused until a feature needs one.
 */
export function denyPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(GRANTED_PERMISSIONS.has(permission)),
  );
  session.setPermissionCheckHandler((_contents, permission) => GRANTED_PERMISSIONS.has(permission));
}
