import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Integration tests wait on real PostgreSQL; these are ceilings for a hung test, not timings.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
