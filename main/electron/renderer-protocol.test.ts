import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { useScratchDirectory } from '../../tests/support/transfer.js';
import { contentSecurityPolicy } from './content-security-policy.js';
import { applyDevelopmentPolicy, createRendererHandler } from './renderer-protocol.js';
import { rendererOrigin } from './renderer-origin.js';

/** Electron's net.fetch of a file URL, as far as the handler relies on it. */
async function readFileUrl(url: string): Promise<Response> {
  const { readFile } = await import('node:fs/promises');
  const body = await readFile(fileURLToPath(url));
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': url.endsWith('.js') ? 'text/javascript' : 'text/html' },
  });
}

describe('the app scheme’s handler', () => {
  const scratch = useScratchDirectory('renderer-protocol');
  const policy = contentSecurityPolicy();

  async function handler() {
    const rendererDir = path.join(scratch.path, 'renderer');
    await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Slipstream</title>');
    await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(scratch.path, 'secret.txt'), 'not for the page');
    return createRendererHandler(rendererDir, policy, readFileUrl);
  }

  it('serves the renderer’s files, index.html for the root, each with the CSP and nosniff', async () => {
    const serve = await handler();
    for (const [url, body] of [
      ['slipstream-app://renderer/', '<!doctype html><title>Slipstream</title>'],
      ['slipstream-app://renderer/assets/app.js', 'console.log(1)'],
    ]) {
      const response = await serve(new Request(url!));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(body);
      expect(response.headers.get('Content-Security-Policy')).toBe(policy);
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
  });

  it('answers 404, still with the CSP, for files outside the renderer, other hosts and missing files', async () => {
    const serve = await handler();
    for (const url of [
      'slipstream-app://renderer/../secret.txt',
      'slipstream-app://renderer/%2e%2e/secret.txt',
      'slipstream-app://renderer/assets/..%2f..%2fsecret.txt',
      'slipstream-app://elsewhere/index.html',
      'slipstream-app://renderer/missing.js',
    ]) {
      const response = await serve(new Request(url));
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('not for the page');
      expect(response.headers.get('Content-Security-Policy')).toBe(policy);
    }
  });

  it('answers 400 for a path that is not valid percent-encoding', async () => {
    const response = await (await handler())(new Request('slipstream-app://renderer/%E0%A4%A'));
    expect(response.status).toBe(400);
    expect(response.headers.get('Content-Security-Policy')).toBe(policy);
  });
});

describe('applyDevelopmentPolicy', () => {
  it('adds the development CSP to the dev server’s responses and leaves other sites’ alone', () => {
    const onHeadersReceived = vi.fn();
    const origin = rendererOrigin(new URL('http://127.0.0.1:5173/'));
    const policy = contentSecurityPolicy(origin.devServer);
    applyDevelopmentPolicy({ webRequest: { onHeadersReceived } } as never, origin, policy);
    const [listener] = onHeadersReceived.mock.calls[0] as [
      (
        details: { url: string; responseHeaders?: Record<string, string[]> },
        callback: (response: unknown) => void,
      ) => void,
    ];
    const callback = vi.fn();
    listener(
      { url: 'http://127.0.0.1:5173/src/main.tsx', responseHeaders: { 'Content-Type': ['text/javascript'] } },
      callback,
    );
    expect(callback).toHaveBeenLastCalledWith({
      responseHeaders: { 'Content-Type': ['text/javascript'], 'Content-Security-Policy': [policy] },
    });
    listener({ url: 'https://matrix.example.org/_matrix/client/versions' }, callback);
    expect(callback).toHaveBeenLastCalledWith({});
  });
});
