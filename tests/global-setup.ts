import { ensureRendererBuild } from '../cli/renderer-build.js';

/**
 * Builds the renderer once before any test file starts a browser host, instead of several hosts
 * building the same sources at once on two cores.
 */
export default async function setup(): Promise<void> {
  await ensureRendererBuild((line) => console.error(`renderer: ${line}`));
}
