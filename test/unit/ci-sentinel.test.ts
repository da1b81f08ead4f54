import { expect, test } from 'vitest';

/**
 * The CI's proof that a failing test fails the run: `.ci/run` runs this file with
 * PGPULSE_CI_SENTINEL=fail through `npm test` (same provider, same global setup) and requires a
 * non-zero exit. Without the variable it passes. (`npm test` once exited 0 with failing tests.)
 */
test('the CI sentinel fails only when asked to', () => {
  expect(process.env.PGPULSE_CI_SENTINEL === 'fail' ? 'failed on purpose' : 'pass').toBe('pass');
});
