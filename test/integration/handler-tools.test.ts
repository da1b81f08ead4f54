import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, test } from 'vitest';
import { LeaseLostError, Queue, ValidationError } from '../../src/index.js';
import { TestClock, waitForJob } from '../../src/testing/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const db = await createTestDatabase();
const queue = new Queue({ connectionString: db.url });
afterAll(async () => {
  await queue.close();
  await db.drop();
});

describe('job.snooze()', () => {
  test('reschedules the job without spending an attempt, then it runs again', async () => {
    const runs: number[] = [];
    const worker = queue.work('snooze', async (job) => {
      runs.push(job.attempts);
      if (runs.length === 1) return job.snooze(30);
      return 'woke up';
    });
    try {
      const { id } = await queue.send('snooze', {}, { maxAttempts: 1 });
      const job = await waitForJob(queue, id, 'completed');
      // Both runs were attempt 1: the snooze gave its attempt back, so maxAttempts 1 sufficed.
      expect(runs).toEqual([1, 1]);
      expect(job).toMatchObject({ attempts: 1, result: 'woke up', errors: [] });
    } finally {
      await worker.stop();
    }
  });

  test('the job is due again only after the delay', async () => {
    const snoozed = deferred();
    const worker = queue.work('snooze-later', async (job) => {
      if (job.runAt.getTime() < Date.now() - 1_800_000) return 'an hour later'; // the clock moved
      job.snooze(3_600_000);
      snoozed.resolve();
    });
    try {
      const { id } = await queue.send('snooze-later', {});
      await snoozed.promise;
      const job = await waitForJob(queue, id, 'pending');
      expect(job.attempts).toBe(0);
      expect(job.runAt.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
      // An hour later, for the job: it runs again, without the test waiting that hour.
      await new TestClock(queue, { queues: ['snooze-later'] }).advance(2 * 3_600_000);
      expect((await waitForJob(queue, id, 'completed')).result).toBe('an hour later');
    } finally {
      await worker.stop();
    }
  });

  test('a snooze that throws still snoozes; a bad delay is refused', async () => {
    const refused = deferred<unknown>();
    const worker = queue.work('snooze-throw', async (job) => {
      try {
        job.snooze(-5);
      } catch (error) {
        refused.resolve(error);
      }
      job.snooze(3_600_000);
      throw new Error('giving up for now');
    });
    try {
      const { id } = await queue.send('snooze-throw', {});
      expect(await refused.promise).toBeInstanceOf(ValidationError);
      await waitForJob(queue, id, 'pending');
      expect((await queue.getJob(id))?.errors).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  test('observe: job.snooze() releases at once', async () => {
    const { id } = await queue.send('snooze-observe', {});
    const [job] = await firstValueFrom(queue.observe('snooze-observe').pipe(take(1), toArray()));
    await job?.snooze(3_600_000);
    const stored = await queue.getJob(id);
    expect(stored).toMatchObject({ state: 'pending', attempts: 0 });
  });
});

describe('job.progress()', () => {
  test('stores the latest progress on the job and publishes progress events', async () => {
    const events = firstValueFrom(
      queue.events('progress').pipe(
        filter((event) => event.type === 'progress'),
        take(2),
        toArray(),
      ),
    );
    // The events subscription registers as a watcher before anything is sent.
    await waitFor(async () => {
      const { rows } = await queue.pool.query(
        'SELECT count(*)::int AS n FROM pgpulse.event_watchers',
      );
      return rows[0].n > 0;
    }, 'the watcher to register');
    const worker = queue.work('progress', async (job) => {
      await job.progress({ done: 1, of: 2 });
      await job.progress({ done: 2, of: 2 });
      return 'ok';
    });
    try {
      const { id } = await queue.send('progress', {});
      const seen = await events;
      expect(seen.map((event) => [event.id, event.progress])).toEqual([
        [id, { done: 1, of: 2 }],
        [id, { done: 2, of: 2 }],
      ]);
      await waitForJob(queue, id, 'completed');
      expect((await queue.getJob(id))?.progress).toEqual({ done: 2, of: 2 });
    } finally {
      await worker.stop();
    }
  });

  test('is refused once the lease is lost, and for values that are not JSON', async () => {
    await queue.send('progress-fenced', {});
    const [job] = await firstValueFrom(queue.observe('progress-fenced').pipe(take(1), toArray()));
    if (job === undefined) throw new Error('nothing received');
    await expect(job.progress(() => 1)).rejects.toBeInstanceOf(ValidationError);
    await job.release();
    await expect(job.progress(50)).rejects.toBeInstanceOf(LeaseLostError);
  });
});

describe('job.log()', () => {
  test('keeps messages on the job, oldest first, with the attempt that logged them', async () => {
    const worker = queue.work(
      'logs',
      async (job) => {
        await job.log(`attempt ${job.attempts} starting`);
        if (job.attempts === 1) throw new Error('first try fails');
        await job.log('x'.repeat(10_000));
      },
      {},
    );
    try {
      const { id } = await queue.send(
        'logs',
        {},
        { backoff: { type: 'fixed', delayMs: 0 }, maxAttempts: 2 },
      );
      await waitForJob(queue, id, 'completed');
      const logs = (await queue.getJob(id))?.logs ?? [];
      expect(logs.map((entry) => [entry.attempt, entry.message.slice(0, 20)])).toEqual([
        [1, 'attempt 1 starting'],
        [2, 'attempt 2 starting'],
        [2, 'x'.repeat(20)],
      ]);
      expect(logs[2]?.message).toHaveLength(4000);
      expect(typeof logs[0]?.at).toBe('string');
    } finally {
      await worker.stop();
    }
  });

  test('keeps only the newest 100 entries', async () => {
    const worker = queue.work('many-logs', async (job) => {
      for (let i = 0; i < 120; i++) await job.log(`line ${i}`);
    });
    try {
      const { id } = await queue.send('many-logs', {});
      await waitForJob(queue, id, 'completed');
      const logs = (await queue.getJob(id))?.logs ?? [];
      expect(logs).toHaveLength(100);
      expect(logs[0]?.message).toBe('line 20');
      expect(logs[99]?.message).toBe('line 119');
    } finally {
      await worker.stop();
    }
  });
});
