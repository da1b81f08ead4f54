import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { type DevDatabase, startDevDatabase } from '../../src/dev/database.js';
import { migrate, Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { startNotifyDroppingProxy } from '../helpers/notify-dropping-proxy.js';
import { waitFor } from '../helpers/wait.js';

/** A logger that keeps what it is told, so tests can see warnings. */
function recordingLogger() {
  const warnings: string[] = [];
  return {
    warnings,
    logger: { warn: (message: string) => warnings.push(message), error: () => undefined },
  };
}

describe('a PostgreSQL server restart while jobs flow', () => {
  // Restarting the shared test server would break every other test file running in parallel,
  // so this test starts an embedded server of its own.
  let server: DevDatabase | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  test('the listener reconnects and every job completes, with polling effectively off', async () => {
    server = await startDevDatabase({ envVars: [], fast: true });
    const restart = server.restart;
    if (restart === undefined) throw new Error('the embedded server cannot restart');
    await migrate(server.url);
    const { logger } = recordingLogger();
    const queue = new Queue({ connectionString: server.url, logger });
    let handled = 0;
    const worker = queue.work(
      'through-restart',
      async () => {
        handled++;
        await new Promise((resolve) => setImmediate(resolve));
      },
      // No poll for an hour: only NOTIFY, the reconnect catch-up and delayed-job timers wake it.
      { concurrency: 4, leaseMs: 1000, pollIntervalMs: 3_600_000, sweeper: { intervalMs: 100 } },
    );
    try {
      await queue.sendBatch(
        'through-restart',
        Array.from({ length: 200 }, (_, i) => ({ payload: i })),
      );
      await waitFor(() => handled > 20, 'the flow to start');
      await restart();
      await waitFor(
        async () => {
          try {
            return (await queue.stats('through-restart')).counts.completed === 200;
          } catch {
            return false; // the pool is still finding the restarted server
          }
        },
        'the first 200 jobs to complete',
        60_000,
      );
      // The worker is idle now and polls once an hour: only a reconnected listener hears these.
      await queue.sendBatch(
        'through-restart',
        Array.from({ length: 100 }, (_, i) => ({ payload: 200 + i })),
      );
      await waitFor(
        async () => (await queue.stats('through-restart')).counts.completed === 300,
        'the 100 jobs sent after the restart',
        60_000,
      );
      expect((await queue.stats('through-restart')).counts).toMatchObject({
        completed: 300,
        pending: 0,
        running: 0,
        dead: 0,
      });
    } finally {
      await worker.stop();
      await queue.close();
    }
  });
});

describe('LISTEN unavailable (a pooler in transaction mode swallows notifications)', () => {
  test('the worker warns once and every job still completes by polling', async () => {
    const db = await createTestDatabase();
    const proxy = await startNotifyDroppingProxy(new URL(db.url));
    const { warnings, logger } = recordingLogger();
    const queue = new Queue({ connectionString: proxy.url, logger });
    const worker = queue.work('polled', async () => 'ok', { pollIntervalMs: 50 });
    try {
      await queue.sendBatch(
        'polled',
        Array.from({ length: 30 }, (_, i) => ({ payload: i })),
      );
      await waitFor(
        async () => (await queue.stats('polled')).counts.completed === 30,
        'all 30 by polling',
      );
      await waitFor(() => warnings.length > 0, 'the warning');
      await queue.send('polled', {});
      await waitFor(async () => (await queue.stats('polled')).counts.completed === 31, 'one more');
      expect(warnings.filter((w) => w.includes('LISTEN/NOTIFY does not work'))).toHaveLength(1);
      expect(warnings).toHaveLength(1);
    } finally {
      await worker.stop();
      await queue.close();
      await proxy.close();
      await db.drop();
    }
  });

  test('listen: false runs on polling alone, silently', async () => {
    const db = await createTestDatabase();
    const { warnings, logger } = recordingLogger();
    const queue = new Queue({ connectionString: db.url, listen: false, logger });
    const sql = new pg.Pool({ connectionString: db.url });
    const worker = queue.work('no-listen', async () => 'ok', { pollIntervalMs: 20 });
    try {
      await queue.sendBatch(
        'no-listen',
        Array.from({ length: 10 }, (_, i) => ({ payload: i })),
      );
      await waitFor(
        async () => (await queue.stats('no-listen')).counts.completed === 10,
        'all 10 by polling',
      );
      const { rows } = await sql.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgpulse-listener'",
      );
      expect(rows[0].n).toBe(0);
      expect(warnings).toEqual([]);
    } finally {
      await worker.stop();
      await queue.close();
      await sql.end();
      await db.drop();
    }
  });
});
