import { readFileSync } from 'node:fs';

/** pgpulse's version (from its package.json), as the worker registry and dashboard show it. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
})();
