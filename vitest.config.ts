import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The examples import the package by its name, as a user's code does: here, its source.
  resolve: {
    alias: [
      { find: /^pgpulse\/testing$/, replacement: source('./src/testing/index.ts') },
      { find: /^pgpulse\/dashboard$/, replacement: source('./src/dashboard/index.ts') },
      { find: /^pgpulse$/, replacement: source('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Integration tests wait on real PostgreSQL; these are ceilings for a hung test, not timings.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll's ceiling likewise (vitest's default is 1 s: a loaded CI machine took longer
    // than that for a page's first event stream to open).
    expect: { poll: { timeout: 20_000 } },
  },
});
