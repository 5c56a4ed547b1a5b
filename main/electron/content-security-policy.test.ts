import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './content-security-policy.js';

describe('contentSecurityPolicy', () => {
  it('lets the packaged renderer load only itself, show media from blobs and the media scheme, run WebAssembly, and reach homeservers', () => {
    expect(contentSecurityPolicy().split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data: blob: slipstream-media:",
      "media-src 'self' blob: slipstream-media:",
      "font-src 'self'",
      "connect-src 'self' slipstream-media: https: http://127.0.0.1:* http://localhost:*",
      "worker-src 'self' blob:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ]);
  });

  it('never allows eval of JavaScript, inline scripts, frames or plain http beyond this machine', () => {
    const policy = contentSecurityPolicy();
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toContain("'unsafe-inline'");
    expect(policy).not.toMatch(/frame-src|child-src/);
    expect(policy).not.toMatch(/ http: /);
    // CSP cannot name an IPv6 literal: Chromium drops such a source with a console error.
    expect(policy).not.toContain('[::1]');
  });

  it('adds what Vite’s dev server needs, and only that, in development', () => {
    const development = contentSecurityPolicy(new URL('http://127.0.0.1:5173/')).split('; ');
    const production = contentSecurityPolicy().split('; ');
    const changed = development.filter((directive, index) => directive !== production[index]);
    expect(changed).toEqual([
      "script-src 'self' 'wasm-unsafe-eval' 'unsafe-inline'",
      "style-src 'self' 'unsafe-inline'",
      "connect-src 'self' ws://127.0.0.1:5173 slipstream-media: https: http://127.0.0.1:* http://localhost:*",
    ]);
  });
});
