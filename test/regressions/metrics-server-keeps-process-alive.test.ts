import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';

const db = await createTestDatabase();
afterAll(() => db.drop());

const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

// Regression: `queue.metrics().serve()` started an HTTP server that `queue.close()` left
// listening, so a process that closed its queue never exited.
test('a process exits by itself after queue.close(), with a metrics server it served', async () => {
  const script = `
    import { Queue } from ${JSON.stringify(index)};
    const queue = new Queue({ connectionString: process.env.DATABASE_URL });
    const worker = queue.work('metered', async () => undefined);
    await worker.ready;
    const server = await queue.metrics().serve({ port: 0 });
    const response = await fetch(server.url);
    console.log(response.status);
    await queue.close();
  `;
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, DATABASE_URL: db.url }, timeout: 30_000 },
      (_error, out) => resolve({ code: child.exitCode, stdout: out }),
    );
  });
  expect(stdout.trim()).toBe('200');
  // A process kept alive would have been killed by the timeout (exit code null).
  expect(code).toBe(0);
});
