import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DevDatabase, startDevDatabase } from '../../src/dev/database.js';
import type { LocalServer } from '../../src/dev/local-server.js';
import { migrate, Queue } from '../../src/index.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

// Regression: completions in flight during a server restart were retried for about 300 ms and
// then dropped ("could not record the outcome"), so those jobs ran again once their lease
// expired: 30 of an adversarial trial's 159 duplicate executions came from two 2-second restarts.
// A settlement now keeps retrying while its lease can still be valid, and heartbeats resume
// after the server is back: a restart shorter than the lease re-runs nothing.

// Stopping the shared test server would break every other file running in parallel: this file
// starts a server of its own (the embedded binaries, or PGPULSE_PG_BIN's).
let dev: DevDatabase;
let server: LocalServer;
beforeAll(async () => {
  dev = await startDevDatabase({ envVars: [], fast: true });
  if (dev.server === undefined) throw new Error('no local server to restart');
  server = dev.server;
  await migrate(dev.url);
}, 120_000);
afterAll(() => dev?.stop());

describe.each(['fast', 'immediate'] as const)('a %s restart while 100 jobs run', (mode) => {
  test('every job completes exactly once', async () => {
    const warnings: string[] = [];
    const logger = {
      warn: (message: string) => warnings.push(message),
      error: (message: string) => warnings.push(message),
    };
    const queue = new Queue({ connectionString: dev.url, logger });
    const name = `restart-${mode}`;
    const runs = new Map<string, number>();
    const gate = deferred();
    let aborted = 0;
    const worker = queue.work(
      name,
      async (job) => {
        job.signal.addEventListener('abort', () => aborted++);
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await gate.promise;
        return { ok: true };
      },
      // The lease (30 s) is far longer than the outage; the sweeper runs often, so a lease that
      // did expire would show as a second run.
      { concurrency: 100, leaseMs: 30_000, heartbeatMs: 500, sweeper: { intervalMs: 200 } },
    );
    try {
      const sent = await queue.sendBatch(
        name,
        Array.from({ length: 100 }, (_, i) => ({ payload: { i } })),
      );
      await waitFor(() => runs.size === 100, 'all 100 handlers to start');
      await server.stop(mode);
      // Every handler finishes while the server is down: their completions cannot be written.
      gate.resolve();
      await waitFor(() => worker.running === 0, 'the handlers to return');
      await server.start();
      await waitFor(
        async () => {
          try {
            return (await queue.stats(name)).counts.completed === 100;
          } catch {
            return false; // the pool is still finding the restarted server
          }
        },
        'every completion to be written',
        60_000,
      );
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect(runs.size).toBe(sent.length);
      expect(aborted).toBe(0);
      expect(warnings.filter((w) => /could not record|lease/i.test(w))).toEqual([]);
    } finally {
      await worker.stop();
      await queue.close();
    }
  }, 120_000);
});
