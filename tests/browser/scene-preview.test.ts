import { readdir, readFile, rm, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../cli/renderer-build.js';
import { seriousAccessibilityViolations } from '../support/axe.js';
import { launchChromium } from '../support/browser.js';
import { connectToHost } from '../support/browser-host.js';
import { makeCorruptGlb, writeSceneFile } from '../support/make-scene.js';
import { type MediaProxy, startMediaProxy } from '../support/media-proxy.js';
import { ensureStack, type StackInfo } from '../support/stack.js';
import {
  createRoomInUi,
  fileCard,
  type Person,
  screenshot,
  startPerson,
  keepFailureEvidence,
  acceptInvitation,
} from './app-harness.js';

/*
 * glTF scene snapshots between two people in an encrypted room, against the stack: Alice drops a
 * scene made by tests/support/make-scene.ts on a slow uplink; Bob's card says how far it has come,
 * draws nothing until the file is complete and verified, then draws it (the canvas is compared with
 * its background, pixel by pixel). A second snapshot with the same name opens beside the first with
 * linked cameras. A damaged file and a browser without WebGL get a sentence, not a spinner.
 */

const MB = 1024 * 1024;
const TIMEOUT_MS = 300_000;
const ROOM = 'Atrium reviews';
const SCENE = 'atrium.glb';
const BROKEN = 'broken-export.glb';
const SHOTS = fileURLToPath(new URL('../../.cache/screenshots/', import.meta.url));

interface Image {
  readonly data: Buffer;
  readonly channels: number;
}

/** The element as it is on screen, as raw pixels. */
async function pixelsOf(element: Locator): Promise<Image> {
  const { data, info } = await sharp(await element.screenshot())
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

/** The share of pixels whose colour differs from `rgb` by more than a shade (sum over channels > 30). */
function shareUnlike(image: Image, rgb: readonly number[]): number {
  let unlike = 0;
  const pixels = image.data.length / image.channels;
  for (let offset = 0; offset < image.data.length; offset += image.channels) {
    const difference =
      Math.abs(image.data[offset]! - rgb[0]!) +
      Math.abs(image.data[offset + 1]! - rgb[1]!) +
      Math.abs(image.data[offset + 2]! - rgb[2]!);
    if (difference > 30) unlike += 1;
  }
  return unlike / pixels;
}

/** The share of pixels that changed between two pictures of the same element. */
function shareChanged(before: Image, after: Image): number {
  expect(after.data.length).toBe(before.data.length);
  let changed = 0;
  for (let offset = 0; offset < before.data.length; offset += before.channels) {
    const difference =
      Math.abs(before.data[offset]! - after.data[offset]!) +
      Math.abs(before.data[offset + 1]! - after.data[offset + 1]!) +
      Math.abs(before.data[offset + 2]! - after.data[offset + 2]!);
    if (difference > 30) changed += 1;
  }
  return changed / (before.data.length / before.channels);
}

/** The viewport's background colour (the canvas is transparent where the scene has nothing). */
async function backgroundOf(canvas: Locator): Promise<number[]> {
  const colour = (await canvas.evaluate(
    (element) =>
      (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(
        (element as unknown as { parentElement: unknown }).parentElement,
      ).backgroundColor,
  )) as string;
  return colour.match(/\d+/g)!.slice(0, 3).map(Number);
}

/** Two animation frames: whatever the last input asked to draw has been drawn. */
const frames = (page: Page) =>
  page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

/** Whether a scene view has drawn (its Reset view is enabled then), without waiting. */
async function isDrawn(scope: Locator, label: string): Promise<boolean> {
  const reset = scope.getByRole('button', { name: `Reset view of ${label}`, exact: true, disabled: false });
  return (await reset.count()) > 0;
}

/** A scene view once it has drawn: its canvas, found by its accessible name. */
async function drawnView(scope: Locator, label: string): Promise<Locator> {
  await expect.poll(() => isDrawn(scope, label), { timeout: 60_000, interval: 100 }).toBe(true);
  return scope.getByRole('img', { name: `3D view of ${label}`, exact: true });
}

async function cardScreenshot(card: Locator, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await card.screenshot({ path: join(SHOTS, `${name}.png`) });
}

describe('glTF scene previews in an encrypted room', () => {
  let stack: StackInfo;
  let browser: Browser;
  let proxy: MediaProxy;
  let fixtures: string;
  let sceneBytes: number;
  let alice: Person;
  let bob: Person;

  /** Alice drops a file from anywhere on the open room, as from her desktop. */
  async function drop(path: string): Promise<void> {
    const devtools = await alice.page.context().newCDPSession(alice.page);
    const room = await alice.page.getByRole('region', { name: ROOM }).boundingBox();
    const at = { x: room!.x + room!.width / 2, y: room!.y + room!.height / 2 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
      await devtools.send('Input.dispatchDragEvent', {
        type,
        ...at,
        data: { items: [], files: [path], dragOperationsMask: 1 },
      });
    await devtools.detach();
  }

  beforeAll(async () => {
    stack = await ensureStack();
    fixtures = await mkdtemp(join(tmpdir(), 'slipstream-scene-fixtures-'));
    await Promise.all(['1', '2'].map((snapshot) => mkdir(join(fixtures, snapshot))));
    [sceneBytes] = await Promise.all([
      writeSceneFile(join(fixtures, '1', SCENE), { snapshot: 1 }),
      writeSceneFile(join(fixtures, '2', SCENE), { snapshot: 2, sphereSegments: 200 }),
      writeFile(join(fixtures, BROKEN), makeCorruptGlb()),
    ]);
    proxy = await startMediaProxy({ upstream: stack.baseUrl });
    browser = await launchChromium();
    [alice, bob] = await Promise.all([
      startPerson(browser, stack, 'alice', {}, proxy.url),
      startPerson(browser, stack, 'bob', {}, stack.baseUrl),
    ]);
    // Alice's scenes stream (v3) whatever their size; Bob downloads only what he asks for.
    const settings = [
      [alice, { defaultFormat: 'v3' }],
      [bob, { autoDownloadMaxBytes: 0 }],
    ] as const;
    for (const [who, patch] of settings) {
      const contract = await connectToHost(who.host.url);
      await contract.updateSettings(patch);
      contract.disconnect();
    }
    await createRoomInUi(alice.page, ROOM, [bob.user.userId]);
    await acceptInvitation(bob.page, ROOM);
  }, TIMEOUT_MS);

  keepFailureEvidence('scene-preview', () => ({ alice, bob }));

  afterAll(async () => {
    await browser?.close();
    await Promise.all([alice?.host.stop(), bob?.host.stop()]);
    await proxy?.close();
    await Promise.all([alice?.folders.remove(), bob?.folders.remove()]);
    await rm(fixtures, { recursive: true, force: true });
  });

  it('keeps three.js out of the main bundle and ships the DRACO and Basis decoders with the app', async () => {
    const built = await ensureRendererBuild(() => undefined);
    const assets = await readdir(join(built, 'assets'));
    const index = await readFile(join(built, 'index.html'), 'utf8');
    const entry = index.match(/src="\.\/assets\/([^"]+\.js)"/)![1]!;
    const main = await readFile(join(built, 'assets', entry), 'utf8');
    expect(main).not.toContain('WebGLRenderer');
    const stage = assets.find((name) => /^scene-stage-.*\.js$/.test(name));
    expect(stage, assets.join(', ')).toBeDefined();
    expect(main).toContain(stage);
    const stageCode = await readFile(join(built, 'assets', stage!), 'utf8');
    for (const decoder of [
      /^draco_wasm_wrapper-.*\.js$/,
      /^draco_decoder-.*\.wasm$/,
      /^basis_transcoder-.*\.(js|wasm)$/,
    ]) {
      const files = assets.filter((name) => decoder.test(name));
      expect(files.length, `${decoder} in ${assets.join(', ')}`).toBeGreaterThan(0);
      // Named by the scene chunk, relative to itself: fetched from the app's own origin.
      expect(files.some((name) => stageCode.includes(name))).toBe(true);
    }
  });

  it(
    'Bob sees Alice’s scene arrive, with nothing drawn before it is complete, then drawn',
    async () => {
      proxy.options.uploadBytesPerSecond = 0.75 * MB;
      await drop(join(fixtures, '1', SCENE));
      const card = fileCard(bob.page, ROOM, SCENE);
      await card.getByRole('button', { name: 'View scene' }).click({ timeout: 60_000 });

      // While it arrives: how far, in words, and no canvas (no byte is parsed before the file is complete).
      const seen: number[] = [];
      let drewEarly = false;
      const started = performance.now();
      for (;;) {
        // Read at one instant: the words, and whether the card has a canvas beside them.
        const { words, canvas } = (await card.evaluate((element) => {
          const root = element as unknown as {
            querySelectorAll(selector: string): { length: number; [index: number]: { textContent: string } };
          };
          const overlays = root.querySelectorAll('.scene-overlay');
          const texts: string[] = [];
          for (let index = 0; index < overlays.length; index += 1) texts.push(overlays[index]!.textContent);
          return { words: texts.join(' '), canvas: root.querySelectorAll('canvas').length > 0 };
        })) as { words: string; canvas: boolean };
        const arriving = words.match(/Scene arriving… (\d+) %/);
        if (arriving) {
          seen.push(Number(arriving[1]));
          if (canvas) drewEarly = true;
        }
        if (await isDrawn(card, SCENE)) break;
        expect(performance.now() - started, `the scene was not drawn; the card said: ${words}`).toBeLessThan(120_000);
        if (seen.length === 1) await screenshot(bob.page, 'scene-arriving');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      proxy.options.uploadBytesPerSecond = undefined;
      expect(drewEarly).toBe(false);
      expect(
        seen.some((percent) => percent < 100),
        `progress seen: ${seen.join(', ')}`,
      ).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(await card.locator('.card-state-words').textContent()).toBe('Completed · verified');
      console.log(
        `${(sceneBytes / MB).toFixed(1)} MB scene: Bob saw ${new Set(seen).size} progress steps (${seen[0]} % … ${seen.at(-1)} %)`,
      );

      const canvas = await drawnView(card, SCENE);
      const phases = await bob.page.evaluate(
        `['read', 'three-loaded', 'drawn'].map((name) => name + ' ' + performance.getEntriesByName('slipstream:scene-' + name).at(-1)?.duration.toFixed(0) + ' ms').join(', ')`,
      );
      console.log(`Bob's viewer, once the file was complete, from the start of its read: ${phases}`);
      await frames(bob.page);
      const background = await backgroundOf(canvas);
      const drawn = shareUnlike(await pixelsOf(canvas), background);
      console.log(`Bob's canvas: ${(drawn * 100).toFixed(1)} % of pixels unlike the background rgb(${background})`);
      expect(drawn).toBeGreaterThan(0.2);
      expect(await card.getByRole('alert').count()).toBe(0);
      await screenshot(bob.page, 'scene-card');
      await cardScreenshot(card, 'scene-card-bob');

      // Keyboard: the view takes focus and turns with the arrow keys; Reset view puts it back.
      const before = await pixelsOf(canvas);
      await canvas.focus();
      for (let press = 0; press < 3; press += 1) await bob.page.keyboard.press('ArrowLeft');
      await frames(bob.page);
      expect(shareChanged(before, await pixelsOf(canvas))).toBeGreaterThan(0.05);
      await card.getByRole('button', { name: `Reset view of ${SCENE}` }).click();
      await frames(bob.page);
      expect(shareChanged(before, await pixelsOf(canvas))).toBeLessThan(0.01);

      // The wheel over a card scrolls the timeline until the view is clicked; then it zooms.
      await canvas.hover();
      await bob.page.mouse.wheel(0, -300);
      await frames(bob.page);
      expect(shareChanged(before, await pixelsOf(canvas))).toBeLessThan(0.01);
      await canvas.click();
      await bob.page.mouse.wheel(0, -300);
      await frames(bob.page);
      expect(shareChanged(before, await pixelsOf(canvas))).toBeGreaterThan(0.05);
      await card.getByRole('button', { name: `Reset view of ${SCENE}` }).click();

      // Alice sees her own scene too.
      const alicesCard = fileCard(alice.page, ROOM, SCENE);
      const alicesCanvas = await drawnView(alicesCard, SCENE);
      expect(shareUnlike(await pixelsOf(alicesCanvas), await backgroundOf(alicesCanvas))).toBeGreaterThan(0.2);

      for (const scheme of ['light', 'dark'] as const) {
        await bob.page.emulateMedia({ colorScheme: scheme });
        await frames(bob.page);
        expect(await seriousAccessibilityViolations(bob.page)).toEqual([]);
        await cardScreenshot(card, `scene-card-${scheme}`);
      }
      await bob.page.emulateMedia({ colorScheme: 'light' });
    },
    TIMEOUT_MS,
  );

  it(
    'a second snapshot with the same name opens beside the first, and moving one view moves the other',
    async () => {
      await drop(join(fixtures, '2', SCENE));
      const cards = fileCard(bob.page, ROOM, SCENE);
      await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(2);
      const newest = cards.last();
      await newest.getByRole('button', { name: 'View scene' }).click();
      await drawnView(newest, SCENE);
      await newest.getByRole('button', { name: 'Compare with previous snapshot' }).click();

      const dialog = bob.page.getByRole('dialog', { name: `Compare snapshots of ${SCENE}` });
      await dialog.waitFor();
      const left = await drawnView(dialog, `the previous snapshot of ${SCENE}`);
      const right = await drawnView(dialog, `this snapshot of ${SCENE}`);
      await frames(bob.page);
      const leftBefore = await pixelsOf(left);
      const rightBefore = await pixelsOf(right);
      const background = await backgroundOf(left);
      await screenshot(bob.page, 'scene-compare');
      expect(shareUnlike(leftBefore, background)).toBeGreaterThan(0.2);
      expect(shareUnlike(rightBefore, background)).toBeGreaterThan(0.2);
      // The snapshots differ (a box moved, the sphere changed colour), seen from the same place.
      expect(shareChanged(leftBefore, rightBefore)).toBeGreaterThan(0.01);

      // Dragging the right view turns the left one.
      const box = (await right.boundingBox())!;
      const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      await bob.page.mouse.move(centre.x, centre.y);
      await bob.page.mouse.down();
      await bob.page.mouse.move(centre.x + box.width / 4, centre.y + box.height / 10, { steps: 10 });
      await bob.page.mouse.up();
      await frames(bob.page);
      const leftAfter = await pixelsOf(left);
      const leftMoved = shareChanged(leftBefore, leftAfter);
      const rightMoved = shareChanged(rightBefore, await pixelsOf(right));
      console.log(
        `drag on the right view: ${(rightMoved * 100).toFixed(1)} % of its pixels changed, ${(leftMoved * 100).toFixed(1)} % of the left view's`,
      );
      expect(rightMoved).toBeGreaterThan(0.05);
      expect(leftMoved).toBeGreaterThan(0.05);

      // And the keyboard on the left view turns the right one.
      const rightBeforeKeys = await pixelsOf(right);
      await left.focus();
      for (let press = 0; press < 2; press += 1) await bob.page.keyboard.press('ArrowUp');
      await frames(bob.page);
      expect(shareChanged(rightBeforeKeys, await pixelsOf(right))).toBeGreaterThan(0.05);

      for (const scheme of ['light', 'dark'] as const) {
        await bob.page.emulateMedia({ colorScheme: scheme });
        await frames(bob.page);
        expect(await seriousAccessibilityViolations(bob.page)).toEqual([]);
        await screenshot(bob.page, `scene-compare-${scheme}`);
      }
      await bob.page.emulateMedia({ colorScheme: 'light' });
      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'detached' });
    },
    TIMEOUT_MS,
  );

  it(
    'a damaged .glb, and a browser without WebGL, get a sentence instead of a spinner',
    async () => {
      await drop(join(fixtures, BROKEN));
      const card = fileCard(bob.page, ROOM, BROKEN);
      await card.getByRole('button', { name: 'View scene' }).click({ timeout: 60_000 });
      const problem = card.getByRole('alert');
      await problem.waitFor({ timeout: 60_000 });
      expect(await problem.locator('p').textContent()).toMatch(
        /^This scene could not be shown: its scene description is not valid JSON, so the file is damaged or incomplete \(.+\)\.$/,
      );
      expect(await card.getByText('Opening the scene…').count()).toBe(0);
      // Trying again cannot mend a damaged file: only the sentence is offered.
      expect(await card.getByRole('button', { name: 'Try again' }).count()).toBe(0);
      await cardScreenshot(card, 'scene-damaged');
      expect(await seriousAccessibilityViolations(bob.page)).toEqual([]);

      // No WebGL (a GPU blocklisted, or turned off): both views of the comparison say so.
      await bob.page.evaluate(`(() => {
        const original = HTMLCanvasElement.prototype.getContext;
        window.restoreWebgl = () => { HTMLCanvasElement.prototype.getContext = original; };
        HTMLCanvasElement.prototype.getContext = function (type, ...rest) {
          return /webgl/.test(type) ? null : original.call(this, type, ...rest);
        };
      })()`);
      await fileCard(bob.page, ROOM, SCENE)
        .last()
        .getByRole('button', { name: 'Compare with previous snapshot' })
        .click();
      const dialog = bob.page.getByRole('dialog', { name: `Compare snapshots of ${SCENE}` });
      await expect.poll(() => dialog.getByRole('alert').count(), { timeout: 60_000 }).toBe(2);
      for (const text of await dialog.getByRole('alert').locator('p').allTextContents())
        expect(text).toContain('This scene could not be shown: this computer’s 3D graphics (WebGL) are not available');
      await screenshot(bob.page, 'scene-no-webgl');
      await bob.page.evaluate('window.restoreWebgl()');
      await dialog.getByRole('button', { name: 'Try again' }).first().click();
      await drawnView(dialog, `the previous snapshot of ${SCENE}`);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // A view whose GPU context is taken back (too many views, a GPU reset) says so, and comes back.
      const first = fileCard(bob.page, ROOM, SCENE).first();
      const view = await drawnView(first, SCENE);
      await view.evaluate((element) => {
        const canvas = element as unknown as {
          getContext(type: string): { getExtension(name: string): { loseContext(): void } };
        };
        canvas.getContext('webgl2').getExtension('WEBGL_lose_context').loseContext();
      });
      const lost = first.getByRole('alert');
      await lost.waitFor({ timeout: 30_000 });
      expect(await lost.locator('p').textContent()).toBe(
        'This scene could not be shown: the view’s graphics were taken back (too many 3D views open at once, or the GPU was reset).',
      );
      await lost.getByRole('button', { name: 'Try again' }).click();
      const again = await drawnView(first, SCENE);
      expect(shareUnlike(await pixelsOf(again), await backgroundOf(again))).toBeGreaterThan(0.2);

      for (const who of [alice, bob]) {
        const unexpected = who.errors.filter(
          // three.js logs the failed context creation above before it throws.
          (error) => !/THREE\.WebGLRenderer: Error creating WebGL context/.test(error),
        );
        expect(unexpected, `${who.user.userId}'s page logged`).toEqual([]);
      }
    },
    TIMEOUT_MS,
  );
});
