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

/**
 * The renderer asks for no browser permission (camera, geolocation, notifications — main shows those
 * itself); every request and check is refused until a feature needs one.
 */
export function denyPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
