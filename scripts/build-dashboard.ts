/**
 * Bundles the dashboard's browser UI (src/dashboard/ui/main.tsx, Preact) into
 * dist/dashboard/assets/app.js and app.css, which the dashboard server serves. Run by
 * `npm run build` after tsc; exits non-zero when the bundle fails.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/dashboard/assets');

try {
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/dashboard/ui/main.tsx' },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    // The package ships no source maps, and the server serves only app.js and app.css.
    sourcemap: false,
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'src/dashboard/ui/tsconfig.json',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  console.log(`dashboard assets built in ${Math.round(performance.now() - started)} ms: ${outdir}`);
} catch (error) {
  // esbuild has already printed its diagnostics.
  console.error('dashboard build failed', error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
