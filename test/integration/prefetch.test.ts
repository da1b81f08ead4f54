import { describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue({ poolSize: 10 });

async function states(name: string): Promise<Record<string, number>> {
  const { rows } = await sql.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = $1 GROUP BY state',
    [name],
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

describe('prefetch', () => {
  test('holds up to `prefetch` leased jobs beyond those running, and runs them as slots free', async () => {
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const worker = queue.work(
      'ahead',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await gate.promise;
        running--;
      },
      { concurrency: 2, prefetch: 3 },
    );
    try {
      await queue.sendBatch(
        'ahead',
        Array.from({ length: 10 }, (_, i) => ({ payload: i })),
      );
      await waitFor(() => worker.held === 5 && worker.running === 2, 'two running, three ahead');
      expect(worker.waiting).toBe(3);
      // The buffered jobs are leased like the running ones: no other worker can take them.
      expect(await states('ahead')).toEqual({ running: 5, pending: 5 });
      gate.resolve();
      await waitFor(async () => (await states('ahead')).completed === 10, 'all ten jobs');
      expect(peak).toBe(2);
    } finally {
      await worker.stop();
    }
  });

  test('stop() gives the jobs not started back at once, while running ones finish', async () => {
    const gate = deferred();
    const ran: number[] = [];
    const worker = queue.work<number>(
      'ahead-stop',
      async (job) => {
        ran.push(job.payload);
        await gate.promise;
      },
      { concurrency: 1, prefetch: 4, leaseMs: 60_000 },
    );
    await queue.sendBatch(
      'ahead-stop',
      Array.from({ length: 5 }, (_, i) => ({ payload: i })),
    );
    await waitFor(() => worker.held === 5 && worker.running === 1, 'one running, four ahead');
    const stopping = worker.stop({ graceMs: 60_000 });
    // Back to pending while the running handler is still blocked, attempts not spent.
    await waitFor(
      async () => (await states('ahead-stop')).pending === 4,
      'the four buffered jobs released',
    );
    const { rows } = await sql.query(
      "SELECT attempts, lease_token FROM pgpulse.jobs WHERE queue = 'ahead-stop' AND state = 'pending'",
    );
    expect(rows).toEqual(Array.from({ length: 4 }, () => ({ attempts: 0, lease_token: null })));
    expect(ran).toHaveLength(1);
    gate.resolve();
    await stopping;
    expect(ran).toHaveLength(1);
    expect(await states('ahead-stop')).toEqual({ completed: 1, pending: 4 });
  });

  test('a buffered job’s timeout counts from the start of its handler, not from its claim', async () => {
    const gate = deferred();
    const firstStarted = deferred<Date>();
    const worker = queue.work<string>(
      'ahead-timeout',
      async (job) => {
        if (job.payload === 'first') {
          firstStarted.resolve(job.leaseExpiresAt);
          await gate.promise;
        }
        return job.payload;
      },
      { concurrency: 1, prefetch: 1, timeoutMs: 200 },
    );
    try {
      const [first, second] = await queue.sendBatch('ahead-timeout', [
        { payload: 'first' },
        { payload: 'second' },
      ]);
      await firstStarted.promise;
      await waitFor(() => worker.held === 2, 'the second job held ahead');
      // Wait (on the database clock) until the buffered job has been held longer than its timeout.
      const { rows } = await sql.query<{ t: Date }>('SELECT now() AS t');
      await waitFor(async () => {
        const r = await sql.query(
          "SELECT now() > $1::timestamptz + interval '300 milliseconds' AS past",
          [rows[0]?.t],
        );
        return r.rows[0].past === true;
      }, 'longer than the timeout');
      gate.resolve();
      await waitFor(
        async () => (await queue.getJob(second?.id ?? ''))?.state === 'completed',
        'the second job completed',
      );
      expect((await queue.getJob(second?.id ?? ''))?.attempts).toBe(1);
      // The first one did outlive its own timeout while it ran, and failed for it.
      expect((await queue.getJob(first?.id ?? ''))?.errors[0]?.name).toBe('JobTimeoutError');
    } finally {
      await worker.stop();
    }
  });

  test('a prefetch that is not a whole number from 0 is refused', () => {
    expect(() => queue.work('x', async () => 1, { prefetch: -1 })).toThrow(ConfigurationError);
    expect(() => queue.work('x', async () => 1, { prefetch: 1.5 })).toThrow(ConfigurationError);
    expect(() => queue.work('x', async () => 1, { prefetch: 'many' as never })).toThrow(
      ConfigurationError,
    );
  });
});
