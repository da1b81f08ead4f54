import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';

const db = await createTestDatabase();
afterAll(() => db.drop());

const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

// Regression: the README's worker example, `process.once('SIGTERM', () => worker.stop())`, left
// the process running: the queue's pool kept its idle connections referenced (until the pool's
// idle timeout), and a LISTEN connection still connecting when its last consumer left stayed
// open. The obvious code must exit once the worker has stopped, without queue.close().
test('a process whose only worker stopped on SIGTERM exits by itself', async () => {
  const script = `
    import { Queue } from ${JSON.stringify(index)};
    const queue = new Queue({ connectionString: process.env.DATABASE_URL });
    const worker = queue.work('alive', async () => 'done');
    await worker.ready;
    const { id } = await queue.send('alive', {});
    while ((await queue.getJob(id))?.state !== 'completed') await new Promise((r) => setImmediate(r));
    process.once('SIGTERM', () => worker.stop());
    // What remained when the process exited: an idle pool connection still there means the
    // process exited while it was open, not after the pool's idle timeout closed it.
    process.on('exit', () => console.log(JSON.stringify({ idle: queue.pool.idleCount })));
    console.log('ready');
  `;
  const child = execFile(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 },
  );
  let stdout = '';
  let signalled = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n') && !signalled) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  const [ready, report] = stdout.trim().split('\n');
  expect(ready).toBe('ready');
  expect(JSON.parse(report ?? '{}').idle).toBeGreaterThan(0);
});
