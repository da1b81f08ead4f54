import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { NonRetryableError, Queue } from '../../src/index.js';
import {
  createTestDatabase,
  drain,
  startTestDatabase,
  TestClock,
  WaitTimeoutError,
  waitForJob,
} from '../../src/testing/index.js';

// pgpulse/testing, as a user's tests would use it: the server of this run (vitest's global setup
// started it with startTestDatabase()), a database of this file's own, a queue on it.
const db = await createTestDatabase(inject('testServer'));
const queue = new Queue({ connectionString: db.url });
afterAll(async () => {
  await queue.close();
  await db.drop();
});

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

describe('test databases', () => {
  test('startTestDatabase prepares a template (with your setup) that createTestDatabase clones', async () => {
    const before = process.env.PGPULSE_TEST_SERVER;
    const server = await startTestDatabase({
      url: inject('adminUrl'),
      setup: async (url) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('CREATE TABLE accounts (id int PRIMARY KEY)');
        await client.end();
      },
    });
    try {
      expect(server.provider).toBe('environment');
      // Without an argument, createTestDatabase finds the server through PGPULSE_TEST_SERVER.
      await using clone = await createTestDatabase();
      const own = new Queue({ connectionString: clone.url });
      try {
        const { id } = await own.send('cloned', {});
        expect((await own.getJob(id))?.state).toBe('pending');
        const { rows } = await own.pool.query('SELECT count(*)::int AS n FROM accounts');
        expect(rows[0].n).toBe(0);
      } finally {
        await own.close();
      }
    } finally {
      await server.stop();
    }
    expect(await databaseExists(server.adminUrl, server.template)).toBe(false);
    expect(process.env.PGPULSE_TEST_SERVER).toBe(before);
  });

  test('createTestDatabase gives a fresh database each time, dropped by drop()', async () => {
    const empty = await createTestDatabase(inject('testServer'), { migrated: false });
    const client = new pg.Client({ connectionString: empty.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'pgpulse'",
    );
    await client.end();
    expect(rows[0].n).toBe(0);
    await empty.drop();
    expect(await databaseExists(inject('adminUrl'), empty.name)).toBe(false);
  });
});

describe('waitForJob', () => {
  test('returns the job once it is in the state, or satisfies the predicate', async () => {
    const worker = queue.work('waited', async (job) => {
      if (job.attempts === 1) throw new Error('once');
      return 'twice';
    });
    try {
      const { id } = await queue.send('waited', {}, { backoff: { type: 'fixed', delayMs: 0 } });
      const failedOnce = await waitForJob(queue, id, (job) => job.errors.length === 1);
      expect(failedOnce.errors[0]?.message).toBe('once');
      const done = await waitForJob<unknown, string>(queue, id, 'completed');
      expect(done.result).toBe('twice');
    } finally {
      await worker.stop();
    }
  });

  test('fails at once, with the last error, when the job finished in another state', async () => {
    const worker = queue.work('doomed', async () => {
      throw new NonRetryableError('bad payload');
    });
    try {
      const { id } = await queue.send('doomed', {});
      const error = await waitForJob(queue, id, 'completed', { timeoutMs: 60_000 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect((error as WaitTimeoutError).message).toMatch(/ended dead, not completed.*bad payload/);
      expect((error as WaitTimeoutError).job?.state).toBe('dead');
    } finally {
      await worker.stop();
    }
  });

  test('gives up after timeoutMs, saying what it saw', async () => {
    const { id } = await queue.send('nobody-works-this', {});
    await expect(waitForJob(queue, id, 'completed', { timeoutMs: 50 })).rejects.toThrow(
      /waiting for job .* to be completed: it is pending after 0 attempt/,
    );
  });
});

describe('drain', () => {
  test('runs every due job, reports what completed and failed, leaves later ones pending', async () => {
    await queue.sendBatch('drained', [
      { payload: { n: 1 } },
      { payload: { n: 2 } },
      { payload: { n: -1 }, maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0 } },
      { payload: { n: 3 }, delayMs: 3_600_000 },
    ]);
    const { completed, failed } = await drain<{ n: number }>(queue, 'drained', async (job) => {
      if (job.payload.n < 0) throw new Error('negative');
      return job.payload.n * 10;
    });
    expect(completed.map((e) => e.result).sort()).toEqual([10, 20]);
    expect(failed.map((e) => [e.attempt, e.willRetry])).toEqual([
      [1, true],
      [2, false],
    ]);
    const stats = await queue.stats('drained');
    expect(stats.counts).toMatchObject({ completed: 2, dead: 1, pending: 1, running: 0 });
  });

  test('times out when jobs stay due (a paused queue)', async () => {
    await queue.queues.pause('drain-paused');
    await queue.send('drain-paused', {});
    await expect(
      drain(queue, 'drain-paused', async () => undefined, { timeoutMs: 100 }),
    ).rejects.toBeInstanceOf(WaitTimeoutError);
    await queue.queues.resume('drain-paused');
  });
});

describe('TestClock', () => {
  test('a delayed job falls due when the clock advances past it, and wakes an idle worker', async () => {
    const clock = new TestClock(queue, { queues: ['clocked'] });
    // No poll for an hour: only the clock's announcement can wake this worker in time.
    const worker = queue.work('clocked', async () => 'ran', { pollIntervalMs: 3_600_000 });
    try {
      await worker.ready;
      const { id } = await queue.send('clocked', {}, { delayMs: 3_600_000 });
      await clock.advance(60_000); // not enough
      expect((await queue.getJob(id))?.state).toBe('pending');
      expect(await clock.advance(3_540_000)).toEqual({ moved: 1, schedules: 0 });
      expect((await waitForJob(queue, id, 'completed')).result).toBe('ran');
      expect(clock.advancedMs).toBe(3_600_000);
    } finally {
      await worker.stop();
    }
  });

  test('a retry waiting out its backoff runs once the clock passes it', async () => {
    const clock = new TestClock(queue);
    const { id } = await queue.send(
      'clocked-retry',
      {},
      { backoff: { type: 'fixed', delayMs: 86_400_000 } },
    );
    const first = await drain(queue, 'clocked-retry', async (job) => {
      if (job.attempts === 1) throw new Error('flaky');
    });
    expect(first.failed.map((e) => e.willRetry)).toEqual([true]);
    expect((await queue.getJob(id))?.state).toBe('pending'); // due tomorrow
    await clock.advance(86_400_000);
    const second = await drain(queue, 'clocked-retry', async () => 'ok');
    expect(second.completed.map((e) => e.job.id)).toEqual([id]);
  });

  test('moves only the queues it was given, and keeps the order of the jobs it moves', async () => {
    const clock = new TestClock(queue, { queues: ['order-a'] });
    const later = await queue.send('order-a', 'later', { delayMs: 20_000 });
    const sooner = await queue.send('order-a', 'sooner', { delayMs: 10_000 });
    const other = await queue.send('order-b', 'other', { delayMs: 10_000 });
    await clock.advance(30_000);
    const ran: unknown[] = [];
    await drain(queue, 'order-a', async (job) => void ran.push(job.payload), {
      worker: { concurrency: 1 },
    });
    expect(ran).toEqual(['sooner', 'later']);
    expect((await queue.getJob(later.id))?.state).toBe('completed');
    expect((await queue.getJob(sooner.id))?.state).toBe('completed');
    expect((await queue.getJob(other.id))?.state).toBe('pending');
    await expect(clock.advance(-1)).rejects.toMatchObject({ field: 'ms' });
  });

  test('an hourly schedule runs once per hour the clock advances, each tick an hour on', async () => {
    const clock = new TestClock(queue, { queues: ['clocked-hourly'] });
    const { schedule } = await queue.schedules.set('hourly', {
      cron: '0 * * * *',
      queue: 'clocked-hourly',
    });
    const first = schedule.nextRunAt as Date;
    const ran: string[] = [];
    const handler = async () => void ran.push('tick');
    for (let hour = 1; hour <= 3; hour++) {
      expect((await clock.advance(3_600_000)).schedules).toBe(1);
      const { completed } = await drain(queue, 'clocked-hourly', handler);
      expect(completed.length).toBe(1);
      // The next tick waits an hour on, due only once the clock has moved another hour.
      expect((await queue.schedules.get('hourly'))?.nextRunAt).toEqual(
        new Date(first.getTime() + hour * 3_600_000),
      );
    }
    const { rows } = await queue.pool.query<{ tick_at: Date; state: string }>(
      `SELECT tick_at, state FROM pgpulse.all_jobs WHERE schedule = 'hourly' ORDER BY tick_at`,
    );
    expect(rows.map((row) => [row.tick_at.getTime() - first.getTime(), row.state])).toEqual([
      [0, 'completed'],
      [3_600_000, 'completed'],
      [7_200_000, 'completed'],
      [10_800_000, 'pending'],
    ]);
    expect(ran).toHaveLength(3);
    await queue.schedules.remove('hourly');
  });

  test("ticks skipped over by one large advance are missed ticks, as the schedule's misfire says", async () => {
    const clock = new TestClock(queue, { queues: ['clocked-misfire'] });
    await queue.schedules.set('five-minutes', { every: 300_000, queue: 'clocked-misfire' });
    await queue.schedules.set('five-minutes-all', {
      every: 300_000,
      queue: 'clocked-misfire',
      misfire: 'all',
      misfireCap: 3,
    });
    const { schedule: other } = await queue.schedules.set('elsewhere', {
      every: 300_000,
      queue: 'unclocked',
    });
    expect((await clock.advance(3_600_000)).schedules).toBe(2); // twelve ticks pass
    const { completed } = await drain(queue, 'clocked-misfire', async () => 'ok');
    const runs = (name: string) => completed.filter((event) => event.job.schedule === name);
    expect(runs('five-minutes')).toHaveLength(1); // 'once': the waiting tick runs, no more
    expect(runs('five-minutes-all')).toHaveLength(3); // 'all' with a cap of 3
    // The unclocked queue's schedule did not move: its tick is still due on the real clock.
    expect((await queue.schedules.get('elsewhere'))?.nextRunAt).toEqual(other.nextRunAt);
    for (const name of ['five-minutes', 'five-minutes-all', 'elsewhere']) {
      await queue.schedules.remove(name);
    }
  });
});
