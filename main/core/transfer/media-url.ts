import { TRANSFER_ID } from '../../../shared/app/identifiers.js';

/*
 * Kept apart from the media handler so that Electron's main process, which relays media URLs to the
 * engine's process (engine-host/media-endpoint.ts), loads this and nothing of the codec.
 */

/**
 * The transfer id of a media URL: `slipstream-media://transfer/<id>[/<name>]` (the app's scheme) or
 * `http://host/transfer/<id>[/<name>]` (the HTTP adapter). The optional name is for players that
 * guess a type from the URL; it is ignored here.
 */
export function transferIdOf(url: URL): string | undefined {
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const id = url.hostname === 'transfer' ? segments[0] : segments[0] === 'transfer' ? segments[1] : undefined;
  return id !== undefined && TRANSFER_ID.test(id) ? id : undefined;
}
