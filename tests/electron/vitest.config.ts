import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/*
 * `npm run test:electron`: the packaged app driven by Playwright's _electron (tests/electron/*.smoke.ts).
 * Apart from vitest.config.ts, whose `*.test.ts` never matches these files, because it needs Electron's
 * binary, which `npm test` machines cannot download: where it is missing the suite reports itself skipped.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['tests/electron/**/*.smoke.ts'],
    environment: 'node',
    pool: 'forks',
    // One app at a time; packing and a first sign-in take minutes on a slow machine.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
