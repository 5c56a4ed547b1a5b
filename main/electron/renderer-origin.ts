import type { CustomScheme, Protocol, WebFrameMain } from 'electron';

/*
 * The renderer's one origin. The built renderer is served from a privileged custom scheme rather than
 * file://: it gets a real origin that 'self' in the CSP and the IPC sender check can name, and it can
 * reach no other file on disk. Decrypted media has a scheme of its own, so the renderer's <video> can
 * read it without the bytes crossing IPC.
 */

export const APP_SCHEME = 'slipstream-app';
export const APP_HOST = 'renderer';
/** Where the packaged renderer lives; `slipstream-app://renderer/index.html` is its entry page. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** `slipstream-media://transfer/<id>/<name>`: the engine's media handler, relayed by main. */
export const MEDIA_SCHEME = 'slipstream-media';

export const PRIVILEGED_SCHEMES: readonly CustomScheme[] = [
  // corsEnabled: the renderer's module scripts are fetched in CORS mode, from its own origin.
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  // stream: <video> reads ranges as they are produced instead of waiting for whole responses.
  // corsEnabled: the page may read it across origins (its answers allow the page's origin only).
  {
    scheme: MEDIA_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
  },
];

/** Must run before the app is ready: Chromium fixes its scheme registry at start-up. */
export function registerPrivilegedSchemes(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([...PRIVILEGED_SCHEMES]);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * SLIPSTREAM_RENDERER_URL points an unpackaged app at Vite's dev server. Only loopback URLs are
 * accepted: whatever page is loaded receives the preload's API, so a stray variable must not hand it
 * to a remote site. A packaged app ignores it.
 */
export function developmentRendererUrl(configured: string | undefined, isPackaged: boolean): URL | undefined {
  if (isPackaged || !configured) return undefined;
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    throw new Error(`SLIPSTREAM_RENDERER_URL is not a URL: ${configured}`);
  }
  if (!LOOPBACK_HOSTS.has(url.hostname) || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`SLIPSTREAM_RENDERER_URL must be an http(s) URL on this machine, not ${configured}`);
  }
  return url;
}

/**
 * `scheme://host[:port]`. Node's URL gives custom schemes an opaque origin ("null"), which would make
 * every comparison fail, so the origin is assembled from the parts Chromium uses for a standard scheme.
 */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.host ? `${parsed.protocol}//${parsed.host}` : undefined;
  } catch {
    return undefined;
  }
}

export interface RendererOrigin {
  /** The page the window loads. */
  readonly entryUrl: string;
  /** Vite's dev server, when the renderer comes from it. */
  readonly devServer: URL | undefined;
  /** The page's origin (`slipstream-app://renderer`, or the dev server's), for CORS answers to it. */
  readonly origin: string;
  /** Whether a URL belongs to the renderer's origin (navigation, CSP headers). */
  isTrusted(url: string): boolean;
  /** Whether an IPC call comes from the renderer's own top-level frame. */
  isTrustedFrame(frame: Pick<WebFrameMain, 'url' | 'parent'> | null): boolean;
}

export function rendererOrigin(devServer?: URL): RendererOrigin {
  const trusted = devServer ? originOf(devServer.href)! : APP_ORIGIN;
  const isTrusted = (url: string) => originOf(url) === trusted;
  return {
    entryUrl: devServer?.href ?? `${APP_ORIGIN}/index.html`,
    devServer,
    origin: trusted,
    isTrusted,
    // A frame inside the page (were one ever allowed) is not the app, even from the same origin.
    isTrustedFrame: (frame) => frame !== null && frame.parent === null && isTrusted(frame.url),
  };
}
