/**
 * `npm run bench:preview`: how soon a receiver watches a video someone just dropped into a room, and
 * how soon playback goes on after a seek, beside the floor: the same file played by the same Chromium
 * from a plain HTTP server with Range on the same machine (no Matrix, no encryption, no upload).
 *
 *   1. drop → first frame: from Alice's click on Send (the file's event is not even posted yet) to the
 *      first frame Bob's player presents, Bob pressing Play on the card as soon as it appears. The floor:
 *      from setting the `<video>`'s src to its first frame.
 *   2. seek → playing: Bob pauses his download just after the first frame, Alice's upload ends, and Bob
 *      seeks to 80 %: far past what his app has, so its media handler fetches those blocks from the server
 *      by Range and authenticates them. Measured from setting currentTime to the first frame presented at
 *      or after the target. The floor: the same seek on the plain server.
 *
 * Frames are timed in the page with requestVideoFrameCallback; both pages read the same wall clock
 * (Date.now()). Rounds alternate the floor and Slipstream; figures are medians. Environment:
 * SLIPSTREAM_BENCH_ROUNDS (3), SLIPSTREAM_BENCH_VIDEO_SECONDS (360: 1 GiB at 24 Mbit/s).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  acceptInvitation,
  chooseAndSend,
  createRoomInUi,
  fileCard,
  type Person,
  startPerson,
} from '../tests/support/app-people.js';
import { launchChromium } from '../tests/support/browser.js';
import { ensureStack } from '../tests/support/stack.js';
import { durationOf, testVideo } from '../tests/support/test-media.js';

const MiB = 1024 * 1024;
const rounds = Number(process.env['SLIPSTREAM_BENCH_ROUNDS'] ?? 3);
const seconds = Number(process.env['SLIPSTREAM_BENCH_VIDEO_SECONDS'] ?? 360);
const ROOM = 'Bench screenings';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Runs in the page: times the first frame each new `<video>` presents, and seeks, into `window.__timings`.
 * Kept as a string so it is the page's code, not this process's.
 */
const FRAME_CLOCK = `(() => {
  const timings = (window.__timings = { firstFrame: {}, element: {}, cards: {} });
  const watch = (video) => {
    if (video.__watched) return;
    video.__watched = true;
    timings.element[video.getAttribute('aria-label') ?? video.src] = Date.now();
    video.requestVideoFrameCallback(() => {
      timings.firstFrame[video.getAttribute('aria-label') ?? video.src] = Date.now();
    });
  };
  window.__seekAndTime = (label, fraction) => new Promise((resolve) => {
    const video = [...document.querySelectorAll('video')].find((v) => (v.getAttribute('aria-label') ?? v.src) === label);
    const target = fraction * video.duration;
    const started = Date.now();
    const onFrame = (_now, metadata) => {
      if (metadata.mediaTime >= target - 0.5) resolve(Date.now() - started);
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.currentTime = target;
    if (video.paused) video.play();
  });
  new MutationObserver(() => {
    document.querySelectorAll('video').forEach(watch);
    document.querySelectorAll('article[aria-label]').forEach((card) => {
      timings.cards[card.getAttribute('aria-label')] ??= Date.now();
    });
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  document.querySelectorAll('video').forEach(watch);
})()`;

/** The floor's server: the file with Range, and a page to play it in (same origin, nothing else). */
async function plainServer(path: string, size: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>floor</title>');
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const first = range ? Number(range[1]) : 0;
    const last = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    response.writeHead(range ? 206 : 200, {
      'Content-Type': 'video/mp4',
      'Accept-Ranges': 'bytes',
      'Content-Length': String(last - first + 1),
      ...(range && { 'Content-Range': `bytes ${first}-${last}/${size}` }),
    });
    createReadStream(path, { start: first, end: last }).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * Waits until `expression` is true in the page, polling (the app's CSP refuses the eval that
 * waitForFunction uses with a string). The times measured are taken in the page, so polling adds nothing to them.
 */
async function until(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Round {
  readonly firstFrameMs: number;
  readonly seekMs: number;
}

async function floorRound(browser: Browser, base: string, round: number): Promise<Round> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  await page.evaluate(FRAME_CLOCK);
  const label = `floor-${round}`;
  const started = await page.evaluate(`(() => {
    const video = document.createElement('video');
    video.setAttribute('aria-label', ${JSON.stringify(label)});
    video.muted = true;
    document.body.append(video);
    const started = Date.now();
    video.src = '/video.mp4?round=${round}';
    video.play();
    return started;
  })()`);
  await until(page, `window.__timings.firstFrame[${JSON.stringify(label)}] !== undefined`, 60_000);
  const firstFrame = (await page.evaluate(`window.__timings.firstFrame[${JSON.stringify(label)}]`)) as number;
  const seekMs = (await page.evaluate(`window.__seekAndTime(${JSON.stringify(label)}, 0.8)`)) as number;
  await context.close();
  return { firstFrameMs: firstFrame - (started as number), seekMs };
}

async function slipstreamRound(alice: Person, bob: Person, name: string): Promise<Round> {
  const card = fileCard(bob.page, ROOM, name);
  const label = `Video: ${name}`;
  // chooseAndSend's last click is Send: the clock starts just before it (the chooser's own time is not counted).
  const dropped = Date.now();
  await chooseAndSend(alice.page, [name]);
  await card.getByRole('button', { name: `Play ${name}` }).click({ timeout: 60_000 });
  await until(bob.page, `window.__timings.firstFrame[${JSON.stringify(label)}] !== undefined`, 120_000);
  const firstFrame = (await bob.page.evaluate(`window.__timings.firstFrame[${JSON.stringify(label)}]`)) as number;
  const [cardAt, elementAt] = (await bob.page.evaluate(
    `[window.__timings.cards[${JSON.stringify(name)}], window.__timings.element[${JSON.stringify(label)}]]`,
  )) as [number, number];
  log(
    `  ${name}: drop → card ${cardAt - dropped} ms, card → player ${elementAt - cardAt} ms, player → first frame ${firstFrame - elementAt} ms`,
  );
  // Bob's download stops where it is; once Alice's upload ends, 80 % is on the server and not on Bob's disk.
  await card.getByRole('button', { name: `Pause ${name}` }).click();
  await alice.page
    .getByRole('article', { name, exact: true })
    .getByText('Sent', { exact: true })
    .waitFor({ timeout: 300_000 });
  const seekMs = (await bob.page.evaluate(`window.__seekAndTime(${JSON.stringify(label)}, 0.8)`)) as number;
  await bob.page.evaluate(`document.querySelectorAll('video').forEach((video) => video.pause())`);
  // Bob's paused download stays as it is: his folders go at the end.
  return { firstFrameMs: firstFrame - dropped, seekMs };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  log(`making a ${seconds} s H.264/AAC video (cached in .cache/test-media)…`);
  const video = await testVideo({ container: 'mp4', seconds, width: 1280, height: 720, bitrate: 24_000_000 });
  const size = (await stat(video)).size;
  const duration = await durationOf(video);
  log(`video: ${(size / MiB).toFixed(0)} MiB, ${duration.toFixed(0)} s`);
  const stack = await ensureStack();
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  const server = await plainServer(video, size);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const names = Array.from({ length: rounds }, (_, index) => `take-${index + 1}.mp4`);
  const fixtures = await mkdtemp(join(tmpdir(), 'slipstream-bench-preview-'));
  let alice: Person | undefined;
  let bob: Person | undefined;
  try {
    [alice, bob] = await Promise.all([
      startPerson(browser, stack, 'bench-alice', Object.fromEntries(names.map((name) => [name, video])), stack.baseUrl),
      startPerson(browser, stack, 'bench-bob', {}, stack.baseUrl),
    ]);
    await createRoomInUi(alice.page, ROOM, [bob.user.userId]);
    await acceptInvitation(bob.page, ROOM);
    await bob.page.evaluate(FRAME_CLOCK);

    const floor: Round[] = [];
    const slipstream: Round[] = [];
    for (const [index, name] of names.entries()) {
      floor.push(await floorRound(browser, base, index));
      slipstream.push(await slipstreamRound(alice, bob, name));
      log(
        `round ${index + 1}: floor first frame ${floor.at(-1)!.firstFrameMs} ms, seek ${floor.at(-1)!.seekMs} ms; ` +
          `Slipstream drop → first frame ${slipstream.at(-1)!.firstFrameMs} ms, seek ${slipstream.at(-1)!.seekMs} ms`,
      );
    }
    const row = (what: string, ours: number, theirs: number) =>
      `| ${what} | ${ours.toFixed(0)} ms | ${theirs.toFixed(0)} ms | ${(ours / theirs).toFixed(1)}× |`;
    console.log(
      `\n${(size / MiB).toFixed(0)} MiB H.264/AAC MP4, ${duration.toFixed(0)} s, medians of ${rounds} rounds\n`,
    );
    console.log('| | Slipstream (two apps, the stack) | floor (plain HTTP Range, same Chromium) | ratio |');
    console.log('| --- | --- | --- | --- |');
    console.log(
      row(
        'drop → first frame (floor: src → first frame)',
        median(slipstream.map((round) => round.firstFrameMs)),
        median(floor.map((round) => round.firstFrameMs)),
      ),
    );
    console.log(
      row(
        'seek to 80 % (past what the receiver has) → frame',
        median(slipstream.map((round) => round.seekMs)),
        median(floor.map((round) => round.seekMs)),
      ),
    );
  } finally {
    await browser.close();
    server.close();
    await Promise.all([alice?.host.stop(), bob?.host.stop()]);
    await Promise.all([alice?.folders.remove(), bob?.folders.remove()]);
    await rm(fixtures, { recursive: true, force: true });
  }
}

await main();
