import { contentSecurityPolicy as rendererPolicy } from '../core/app/content-security-policy.js';
import { MEDIA_SCHEME } from './renderer-origin.js';

/**
 * The renderer's Content Security Policy in Electron (main/core/app/content-security-policy.ts says
 * what it allows and why): decrypted media from the `slipstream-media:` scheme; with `devServer`,
 * what Vite's dev server needs beyond that — its inline React Refresh preamble, the <style> tags it
 * injects, and the WebSocket that carries hot updates. Never in a packaged app.
 */
export function contentSecurityPolicy(devServer?: URL): string {
  if (!devServer) return rendererPolicy({ mediaSources: [`${MEDIA_SCHEME}:`] });
  const socket = `${devServer.protocol === 'https:' ? 'wss:' : 'ws:'}//${devServer.host}`;
  return rendererPolicy({ mediaSources: [`${MEDIA_SCHEME}:`], connectSources: [socket], development: true });
}
