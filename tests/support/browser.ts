import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; playwright-core drives it but does not download a browser of its own. */
export const CHROMIUM_PATH = process.env['SLIPSTREAM_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * No sandbox because tests run as root in containers; the rest keeps Chromium from reaching the network
 * on its own (updates, sync, QUIC probes), which these machines cannot do and which would make runs slower.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install -y chromium) or set SLIPSTREAM_CHROMIUM`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Answers matrix-js-sdk asks for and expects to be refused, which Chromium still logs as errors: the
 * key backup's version (404 while the account has none) and MatrixRTC's transports (MSC4143, which
 * Synapse does not serve).
 */
const EXPECTED_MATRIX_MISSES =
  /\/_matrix\/client\/(v3\/room_keys\/version|unstable\/org\.matrix\.msc4143\/rtc\/transports)$/;

/**
 * Records uncaught exceptions and console errors from a page, so a test can assert the app ran cleanly
 * instead of passing while React logged a failure.
 */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    if (/^Failed to load resource/.test(message.text()) && EXPECTED_MATRIX_MISSES.test(url)) return;
    errors.push(`console.error: ${message.text()}${url ? ` (${url})` : ''}`);
  });
  return errors;
}
