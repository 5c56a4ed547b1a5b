import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{main,shared,server,cli,tests}/**/*.test.ts', 'renderer/src/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
