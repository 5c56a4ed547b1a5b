import { describe, expect, it } from 'vitest';
import { connectToHost } from '../support/browser-host.js';
import { fillSignIn, openApp, screenshot, UI_TIMEOUT_MS, useAppUnderTest } from './app-harness.js';

const TIMEOUT_MS = UI_TIMEOUT_MS;

/*
 * Signing in and out through the page the browser host serves, against the stack's Synapse behind nginx:
 * the form's failures are sentences a person can act on, and signing out comes back to the form.
 */

describe('signing in through the browser host', () => {
  const app = useAppUnderTest('sign-in');

  it(
    'says in words when the homeserver cannot be reached, is not Matrix, or refuses the password; signs in by server name; signs out back to the form',
    async () => {
      const { stack, user, host, browser } = app;
      const { page, errors } = await openApp(browser, host.url);
      const form = page.getByRole('region', { name: 'Sign in to your Matrix account' });
      await form.waitFor();
      await screenshot(page, 'signed-out');
      // Which Slipstream, and where: nothing about key files on every screen.
      expect(await page.getByRole('contentinfo').textContent()).toMatch(/^Slipstream \S+ · in your browser$/);
      const alert = form.getByRole('alert');

      // Nothing listens on the discard port.
      await fillSignIn(page, 'http://127.0.0.1:9', user.username, user.password);
      await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toContain('Cannot reach http://127.0.0.1:9');

      // Something answers, but not as a homeserver: the host's own page.
      await fillSignIn(page, host.origin, user.username, user.password);
      await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/is not a Matrix homeserver/);

      await fillSignIn(page, stack.baseUrl, user.username, `${user.password}-wrong`);
      await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toBe('Wrong username or password.');
      await screenshot(page, 'sign-in-wrong-password');

      // A server name without a scheme is looked up through /.well-known/matrix/client, as clients do.
      await fillSignIn(page, new URL(stack.baseUrl).host, user.username, user.password);
      const header = page.getByRole('banner');
      await header.getByText(`Signed in as ${user.userId}`).waitFor({ timeout: 30_000 });
      expect(await header.textContent()).toContain(`on ${new URL(stack.baseUrl).host}`);
      await page.getByText('No transfers yet').waitFor();
      await screenshot(page, 'signed-in-empty');

      // The session is the main side's: a reload is still signed in.
      await page.reload();
      await header.getByText(`Signed in as ${user.userId}`).waitFor({ timeout: 30_000 });

      const contract = await connectToHost(host.url);
      const session = await contract.loadSession();
      expect(session).toMatchObject({ userId: user.userId, homeserverUrl: stack.baseUrl });
      const whoami = () =>
        fetch(`${stack.baseUrl}/_matrix/client/v3/account/whoami`, {
          headers: { Authorization: `Bearer ${session!.accessToken}` },
        });
      expect((await whoami()).status).toBe(200);

      // Signing out always asks: it deletes this device's keys, and with them the encrypted history here.
      await header.getByRole('button', { name: 'Sign out' }).click();
      const question = page.getByRole('alertdialog', { name: 'Sign out?' });
      expect(await question.textContent()).toContain('cannot read the encrypted messages and files sent before');
      await question.getByRole('button', { name: 'Sign out' }).click();
      await form.waitFor({ timeout: 30_000 });
      expect(await header.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      // The homeserver ended the device's session, and the main side forgot it.
      expect((await whoami()).status).toBe(401);
      expect(await contract.loadSession()).toBeNull();
      contract.disconnect();

      expect(errors.filter((error) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(error))).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
