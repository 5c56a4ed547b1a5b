import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, recordPageErrors } from '../support/browser.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('the renderer in Chromium', () => {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  let pageUrl: string;

  beforeAll(async () => {
    server = await createServer({
      configFile: path.join(repoRoot, 'vite.config.ts'),
      server: { host: '127.0.0.1', port: 0, strictPort: true },
      logLevel: 'error',
      clearScreen: false,
    });
    await server.listen();
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('Vite did not report the URL it is listening on');
    pageUrl = url;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the Slipstream title and the drop panel with React, without errors', async () => {
    const page = await browser!.newPage();
    const errors = recordPageErrors(page);
    await page.goto(pageUrl);

    // index.html holds only an empty #root: these headings exist only once React has rendered.
    const title = page.getByRole('heading', { level: 1 });
    await title.waitFor({ state: 'visible' });
    expect(await title.textContent()).toBe('Slipstream');

    const dropZone = page.getByRole('region', { name: 'Drop a file to share' });
    expect(await dropZone.isVisible()).toBe(true);

    expect(await page.title()).toBe('Slipstream');
    expect(errors).toEqual([]);
    await page.close();
  });
});
