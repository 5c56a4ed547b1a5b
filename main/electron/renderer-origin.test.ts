import { describe, expect, it } from 'vitest';
import { developmentRendererUrl, registerPrivilegedSchemes, rendererOrigin } from './renderer-origin.js';
import { fakeElectron } from './testing/fake-electron.js';

describe('the app’s schemes', () => {
  it('registers the app scheme and the media scheme as privileged, each with only what it needs', () => {
    registerPrivilegedSchemes(fakeElectron.protocol);
    expect(fakeElectron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledExactlyOnceWith([
      {
        scheme: 'slipstream-app',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
      {
        scheme: 'slipstream-media',
        privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
      },
    ]);
  });
});

describe('rendererOrigin', () => {
  const packaged = rendererOrigin();

  it('loads the built renderer from the app scheme', () => {
    expect(packaged.entryUrl).toBe('slipstream-app://renderer/index.html');
    expect(packaged.devServer).toBeUndefined();
    expect(packaged.origin).toBe('slipstream-app://renderer');
  });

  it('trusts the app scheme’s renderer host and nothing else (Node gives custom schemes an opaque origin)', () => {
    expect(packaged.isTrusted('slipstream-app://renderer/index.html')).toBe(true);
    expect(packaged.isTrusted('slipstream-app://renderer/assets/app.js')).toBe(true);
    for (const url of [
      'slipstream-app://other/index.html',
      'slipstream-media://transfer/abc/film.mp4',
      'https://renderer/',
      'file:///home/alice/index.html',
      'about:blank',
      'not a url',
    ]) {
      expect(packaged.isTrusted(url), url).toBe(false);
    }
  });

  it('trusts only the top-level frame of the app’s page as an IPC caller', () => {
    const top = { url: 'slipstream-app://renderer/index.html', parent: null };
    expect(packaged.isTrustedFrame(top)).toBe(true);
    expect(packaged.isTrustedFrame({ url: top.url, parent: top as never })).toBe(false);
    expect(packaged.isTrustedFrame({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(packaged.isTrustedFrame(null)).toBe(false);
  });

  it('trusts the dev server’s origin, and only it, when the renderer comes from Vite', () => {
    const development = rendererOrigin(new URL('http://127.0.0.1:5173/'));
    expect(development.entryUrl).toBe('http://127.0.0.1:5173/');
    expect(development.isTrusted('http://127.0.0.1:5173/src/main.tsx')).toBe(true);
    expect(development.isTrusted('http://127.0.0.1:5174/')).toBe(false);
    expect(development.isTrusted('slipstream-app://renderer/index.html')).toBe(false);
  });
});

describe('developmentRendererUrl', () => {
  it('takes a loopback http(s) URL in an unpackaged app', () => {
    for (const url of ['http://127.0.0.1:5173/', 'http://localhost:5173/', 'https://[::1]:5173/']) {
      expect(developmentRendererUrl(url, false)?.href).toBe(url);
    }
  });

  it('is ignored by a packaged app and absent without the variable', () => {
    expect(developmentRendererUrl('http://127.0.0.1:5173/', true)).toBeUndefined();
    expect(developmentRendererUrl(undefined, false)).toBeUndefined();
  });

  it('refuses anything that would hand the preload’s API to another machine or scheme', () => {
    expect(() => developmentRendererUrl('https://example.org/', false)).toThrow(/on this machine/);
    expect(() => developmentRendererUrl('file:///tmp/index.html', false)).toThrow(/on this machine/);
    expect(() => developmentRendererUrl('http://127.0.0.1.example.org/', false)).toThrow(/on this machine/);
    expect(() => developmentRendererUrl('127.0.0.1:5173', false)).toThrow();
  });
});
