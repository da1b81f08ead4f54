import { describe, expect, test } from 'vitest';
import {
  ConfigurationError,
  JobCancelledError,
  JobTimeoutError,
  NonRetryableError,
  WorkerStoppedError,
} from '../../src/index.js';
import { waitForJob } from '../../src/testing/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue({ poolSize: 10 });

async function stateOf(id: string): Promise<string | undefined> {
  return (await queue.getJob(id))?.state;
}

describe('work', () => {
  test('runs the handler for each job and stores its return value as the result', async () => {
    const worker = queue.work<{ n: number }>('double', async (job) => ({
      doubled: job.payload.n * 2,
    }));
    try {
      const sent = await queue.sendBatch(
        'double',
        [1, 2, 3].map((n) => ({ payload: { n } })),
      );
      await waitFor(
        async () => (await queue.stats('double')).counts.completed === 3,
        'three completions',
      );
      const results = await Promise.all(
        sent.map(async ({ id }) => (await queue.getJob(id))?.result),
      );
      expect(results).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    } finally {
      await worker.stop();
    }
  });

  test('a job sent after the worker started is picked up (NOTIFY wakes it)', async () => {
    const seen = deferred<string>();
    const worker = queue.work('late', async (job) => seen.resolve(job.id), {
      pollIntervalMs: 3_600_000,
    });
    try {
      // Idle and listening: the start-up claim has returned, so only a notification can wake it
      // (the poll is an hour away).
      await worker.ready;
      expect(worker.held).toBe(0);
      const { id } = await queue.send('late', {});
      expect(await seen.promise).toBe(id);
    } finally {
      await worker.stop();
    }
  });

  test('a thrown error fails the attempt and the job is retried with backoff', async () => {
    const attempts: number[] = [];
    const worker = queue.work('flaky', async (job) => {
      attempts.push(job.attempts);
      if (job.attempts < 3) throw new Error(`attempt ${job.attempts} failed`);
      return 'third time lucky';
    });
    try {
      const { id } = await queue.send('flaky', {}, { backoff: { type: 'fixed', delayMs: 10 } });
      const job = await waitForJob(queue, id, 'completed');
      expect(attempts).toEqual([1, 2, 3]);
      expect(job?.errors.map((e) => e.message)).toEqual(['attempt 1 failed', 'attempt 2 failed']);
      expect(job?.result).toBe('third time lucky');
    } finally {
      await worker.stop();
    }
  });

  test('a NonRetryableError sends the job to dead at once', async () => {
    const worker = queue.work('poison', async () => {
      throw new NonRetryableError('cannot parse');
    });
    try {
      const { id } = await queue.send('poison', {}, { maxAttempts: 10 });
      await waitForJob(queue, id, 'dead');
      expect(await queue.getJob(id)).toMatchObject({
        attempts: 1,
        lastError: { name: 'NonRetryableError' },
      });
    } finally {
      await worker.stop();
    }
  });

  test('a result that is not JSON kills the job with the reason instead of leaving it running', async () => {
    const worker = queue.work('bad-result', async () => ({ at: new Date() }));
    try {
      const { id } = await queue.send('bad-result', {});
      await waitForJob(queue, id, 'dead');
      expect((await queue.getJob(id))?.lastError?.message).toContain('result.at');
    } finally {
      await worker.stop();
    }
  });

  test('a handler past timeoutMs has its signal aborted and the attempt fails', async () => {
    const reasons: unknown[] = [];
    const worker = queue.work(
      'slow',
      (job) =>
        new Promise((_, reject) => {
          job.signal.addEventListener('abort', () => {
            reasons.push(job.signal.reason);
            reject(job.signal.reason);
          });
        }),
      { timeoutMs: 50 },
    );
    try {
      const { id } = await queue.send('slow', {}, { maxAttempts: 1 });
      await waitForJob(queue, id, 'dead');
      expect(reasons[0]).toBeInstanceOf(JobTimeoutError);
      expect((await queue.getJob(id))?.lastError).toMatchObject({ name: 'JobTimeoutError' });
    } finally {
      await worker.stop();
    }
  });

  test('cancelling a running job aborts its handler', async () => {
    const started = deferred<string>();
    const aborted = deferred<unknown>();
    const worker = queue.work('cancel-me', (job) => {
      started.resolve(job.id);
      return new Promise((_, reject) => {
        job.signal.addEventListener('abort', () => {
          aborted.resolve(job.signal.reason);
          reject(job.signal.reason);
        });
      });
    });
    try {
      const { id } = await queue.send('cancel-me', {});
      await started.promise;
      await queue.cancel(id);
      expect(await aborted.promise).toBeInstanceOf(JobCancelledError);
      await waitFor(() => worker.held === 0, 'the worker to let go of the job');
      expect(await stateOf(id)).toBe('cancelled');
    } finally {
      await worker.stop();
    }
  });

  test('stop() releases unfinished jobs at once, without spending their attempt', async () => {
    const started = deferred();
    const reasons: unknown[] = [];
    const worker = queue.work(
      'stuck',
      (job) => {
        started.resolve();
        return new Promise((_, reject) => {
          job.signal.addEventListener('abort', () => {
            reasons.push(job.signal.reason);
            reject(job.signal.reason);
          });
        });
      },
      { leaseMs: 60_000 },
    );
    const { id } = await queue.send('stuck', {});
    await started.promise;
    expect(await stateOf(id)).toBe('running');
    await worker.stop({ graceMs: 0 });
    // Back to pending now, not when the 60 s lease would have expired.
    expect(await queue.getJob(id)).toMatchObject({
      state: 'pending',
      attempts: 0,
      leaseToken: null,
    });
    expect(reasons[0]).toBeInstanceOf(WorkerStoppedError);
  });

  test('stop() lets running jobs finish within the grace period', async () => {
    const release = deferred();
    const started = deferred();
    const worker = queue.work('graceful', async () => {
      started.resolve();
      await release.promise;
      return 'finished';
    });
    const { id } = await queue.send('graceful', {});
    await started.promise;
    const stopping = worker.stop({ graceMs: 30_000 });
    release.resolve();
    await stopping;
    expect(await queue.getJob(id)).toMatchObject({ state: 'completed', result: 'finished' });
  });

  test('a delayed job starts once due, without waiting for a poll', async () => {
    const events: string[] = [];
    const started = deferred();
    const worker = queue.work(
      'delayed',
      async () => {
        events.push('started');
        started.resolve();
      },
      { pollIntervalMs: 3_600_000 },
    );
    try {
      await worker.ready;
      expect(worker.held).toBe(0);
      const { id } = await queue.send('delayed', {}, { delayMs: 300 });
      events.push('sent');
      await started.promise;
      expect(events).toEqual(['sent', 'started']);
      const { rows } = await sql.query(
        'SELECT started_at >= run_at AS on_time FROM pgpulse.all_jobs WHERE id = $1',
        [id],
      );
      expect(rows[0].on_time).toBe(true);
    } finally {
      await worker.stop();
    }
  });

  test('never runs more handlers at once than its concurrency, nor claims more than can start', async () => {
    let running = 0;
    let peak = 0;
    let peakWaiting = 0;
    // The first handlers wait until three run at once: it shows the worker fills its concurrency
    // (short handlers alone may each end before the next claim returns), and a worker that could
    // not would never open the gate.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const worker = queue.work(
      'bounded',
      async () => {
        running++;
        peak = Math.max(peak, running);
        peakWaiting = Math.max(peakWaiting, worker.waiting);
        if (running === 3) openGate();
        await gate;
        await new Promise((resolve) => setImmediate(resolve));
        running--;
      },
      { concurrency: 3 },
    );
    try {
      await queue.sendBatch(
        'bounded',
        Array.from({ length: 60 }, (_, i) => ({ payload: i })),
      );
      await waitFor(
        async () => (await queue.stats('bounded')).counts.completed === 60,
        'all 60 jobs',
      );
      expect(peak).toBe(3);
      expect(peakWaiting).toBe(0); // it never claimed more than could start
    } finally {
      await worker.stop();
    }
  });

  test('heartbeats keep a slow job leased past its first expiry', async () => {
    const release = deferred();
    const started = deferred<Date>();
    const worker = queue.work(
      'long',
      async (job) => {
        started.resolve(job.leaseExpiresAt);
        await release.promise;
        return 'done';
      },
      { leaseMs: 300, heartbeatMs: 50, sweeper: { intervalMs: 20 } },
    );
    try {
      const { id } = await queue.send('long', {});
      const firstExpiry = await started.promise;
      await waitFor(async () => {
        const { rows } = await sql.query(
          "SELECT now() > $1::timestamptz + interval '200 milliseconds' AS past",
          [firstExpiry],
        );
        return rows[0].past === true;
      }, 'well past the first lease expiry');
      release.resolve();
      await waitForJob(queue, id, 'completed');
      expect((await queue.getJob(id))?.attempts).toBe(1); // never reclaimed
    } finally {
      await worker.stop();
    }
  });

  test('bad options are refused synchronously with a ConfigurationError', () => {
    expect(() => queue.work('x', async () => 1, { concurrency: 0 })).toThrow(ConfigurationError);
    expect(() => queue.work('x', async () => 1, { leaseMs: 1000, heartbeatMs: 900 })).toThrow(
      ConfigurationError,
    );
    expect(() => queue.work('bad name', async () => 1)).toThrow(ConfigurationError);
    expect(() => queue.work('x', 'not a function' as never)).toThrow(ConfigurationError);
  });
});
