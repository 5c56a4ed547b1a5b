/**
 * The renderer's Content Security Policy, for both front ends (Electron's app scheme and the browser
 * host): its own scripts and styles only; WebAssembly, which matrix-js-sdk's Rust crypto needs
 * ('wasm-unsafe-eval', not 'unsafe-eval'); decrypted media from the app's own media source; and the
 * network only towards a homeserver — any https origin, and http on loopback for a development server.
 */
// No IPv6 literal ([::1]): CSP host-sources cannot name one, and Chromium drops the whole source with an error.
export const HOMESERVER_SOURCES = ['https:', 'http://127.0.0.1:*', 'http://localhost:*'] as const;

export interface PolicyOptions {
  /** Where `<video>`/`<img>`/`fetch` read decrypted media, besides 'self' (Electron: 'slipstream-media:'). */
  readonly mediaSources?: readonly string[];
  /** More sources for connect-src: the browser host's own WebSocket, a development server's. */
  readonly connectSources?: readonly string[];
  /** Vite's development server injects an inline preamble and <style> tags. */
  readonly development?: boolean;
}

export function contentSecurityPolicy(options: PolicyOptions = {}): string {
  const media = options.mediaSources ?? [];
  const inline = options.development ? " 'unsafe-inline'" : '';
  return [
    "default-src 'none'",
    `script-src 'self' 'wasm-unsafe-eval'${inline}`,
    `style-src 'self'${inline}`,
    ['img-src', "'self'", 'data:', 'blob:', ...media].join(' '),
    ['media-src', "'self'", 'blob:', ...media].join(' '),
    "font-src 'self'",
    // Media too: a 3D scene is fetched whole to be parsed, and a thumbnail is drawn from a send's own bytes.
    ['connect-src', "'self'", ...(options.connectSources ?? []), ...media, ...HOMESERVER_SOURCES].join(' '),
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
