import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/*
 * axe-core's accessibility scan of what a page shows now. The script goes in through the DevTools
 * protocol (page.evaluate), which the page's Content-Security-Policy does not apply to, so the app
 * is scanned as it ships, with its CSP on.
 */

let source: string | undefined;

async function axeSource(): Promise<string> {
  source ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

/** Every serious or critical violation, one line each: the rule, what it asks, and where. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeSource());
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((results) =>
    results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    })),
  )`)) as { id: string; impact: string | null; help: string; targets: string[] }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.targets.slice(0, 5).join(', ')})`,
    );
}
