import { bufferCount, mergeMap, take } from 'rxjs';
import { describe, expect, test } from 'vitest';
import {
  InvalidStateError,
  JobCancelledError,
  type ReceivedJob,
  ValidationError,
} from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue();

/** Subscribes and collects what arrives until the test unsubscribes. */
function collect<P>(name: string, options = {}) {
  const received: ReceivedJob<P>[] = [];
  const subscription = queue.observe<P>(name, options).subscribe((job) => received.push(job));
  return { received, subscription };
}

describe('observe', () => {
  test('delivers jobs; ack completes them with a result', async () => {
    const sent = await queue.send('obs-ack', { n: 1 });
    const { received, subscription } = collect<{ n: number }>('obs-ack');
    try {
      await waitFor(() => received.length === 1, 'delivery');
      const [job] = received;
      expect(job?.id).toBe(sent.id);
      expect(job?.payload).toEqual({ n: 1 });
      await job?.ack({ ok: true });
      expect(await queue.getJob(sent.id)).toMatchObject({
        state: 'completed',
        result: { ok: true },
      });
    } finally {
      subscription.unsubscribe();
    }
  });

  test('nack fails the attempt (retried, or dead when not retryable)', async () => {
    const retried = await queue.send(
      'obs-nack',
      { n: 1 },
      { backoff: { type: 'fixed', delayMs: 60_000 } },
    );
    const killed = await queue.send('obs-nack', { n: 2 });
    const { received, subscription } = collect<{ n: number }>('obs-nack');
    try {
      await waitFor(() => received.length === 2, 'both deliveries');
      const byN = new Map(received.map((job) => [job.payload.n, job]));
      await byN.get(1)?.nack(new Error('later'));
      await byN.get(2)?.nack(new Error('never'), { retryable: false });
      expect(await queue.getJob(retried.id)).toMatchObject({
        state: 'pending',
        lastError: { message: 'later' },
      });
      expect(await queue.getJob(killed.id)).toMatchObject({ state: 'dead' });
    } finally {
      subscription.unsubscribe();
    }
  });

  test('settling twice is refused', async () => {
    await queue.send('obs-twice', {});
    const { received, subscription } = collect('obs-twice');
    try {
      await waitFor(() => received.length === 1, 'delivery');
      await received[0]?.ack();
      await expect(received[0]?.ack()).rejects.toBeInstanceOf(InvalidStateError);
      await expect(received[0]?.nack(new Error('x'))).rejects.toBeInstanceOf(InvalidStateError);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('an ack refused for a result that cannot be stored leaves the job to settle otherwise', async () => {
    const { id } = await queue.send('obs-bad-result', {});
    const { received, subscription } = collect('obs-bad-result');
    try {
      await waitFor(() => received.length === 1, 'the job');
      const [job] = received;
      if (job === undefined) throw new Error('no job');
      await expect(job.ack({ big: 10n })).rejects.toBeInstanceOf(ValidationError);
      expect((await queue.getJob(id))?.state).toBe('running');
      await job.nack(new Error('could not serialise'), { retryable: false });
      expect((await queue.getJob(id))?.state).toBe('dead');
    } finally {
      subscription.unsubscribe();
    }
  });

  test('at most prefetch unsettled jobs are outstanding; settling one lets the next in', async () => {
    await queue.sendBatch(
      'obs-prefetch',
      Array.from({ length: 10 }, (_, i) => ({ payload: i })),
    );
    const { received, subscription } = collect<number>('obs-prefetch', {
      prefetch: 3,
      pollIntervalMs: 20,
    });
    try {
      await waitFor(() => received.length === 3, 'the first three');
      // Several polls pass; nothing more may arrive while three are unsettled.
      const stats = async () => (await queue.stats('obs-prefetch')).counts;
      await waitFor(async () => (await stats()).running === 3, 'three leased');
      // Let at least five polls (20 ms each) pass on the database clock: still three.
      const { rows } = await sql.query("SELECT now() + interval '100 milliseconds' AS later");
      await waitFor(async () => {
        const now = await sql.query('SELECT now() > $1::timestamptz AS past', [rows[0].later]);
        return now.rows[0].past === true;
      }, 'five poll intervals');
      expect(received).toHaveLength(3);
      await received[0]?.ack();
      await waitFor(() => received.length === 4, 'exactly one more after one ack');
      expect((await stats()).running).toBe(3);
      expect(received).toHaveLength(4);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('unsubscribing releases the unsettled jobs at once, attempts unspent', async () => {
    await queue.sendBatch('obs-release', [{ payload: 1 }, { payload: 2 }]);
    const { received, subscription } = collect('obs-release', { leaseMs: 60_000 });
    await waitFor(() => received.length === 2, 'both deliveries');
    await received[0]?.ack();
    subscription.unsubscribe();
    await waitFor(
      async () => (await queue.stats('obs-release')).counts.pending === 1,
      'the release',
    );
    const unsettled = await queue.getJob(received[1]?.id ?? '');
    expect(unsettled).toMatchObject({ state: 'pending', attempts: 0 });
  });

  test('cancelling a delivered job aborts its signal and refuses its ack', async () => {
    const { id } = await queue.send('obs-cancel', {});
    const { received, subscription } = collect('obs-cancel');
    try {
      await waitFor(() => received.length === 1, 'delivery');
      const job = received[0] as ReceivedJob;
      await queue.cancel(id);
      await waitFor(() => job.signal.aborted, 'the abort');
      expect(job.signal.reason).toBeInstanceOf(JobCancelledError);
      await expect(job.ack()).rejects.toBeInstanceOf(JobCancelledError);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('composes with RxJS operators: mergeMap with a concurrency, bufferCount, take', async () => {
    await queue.sendBatch(
      'obs-rx',
      Array.from({ length: 12 }, (_, i) => ({ payload: i })),
    );
    const batches: number[][] = [];
    let active = 0;
    let peak = 0;
    await new Promise<void>((resolve, reject) => {
      queue
        .observe<number>('obs-rx', { prefetch: 6 })
        .pipe(
          mergeMap(async (job) => {
            active++;
            peak = Math.max(peak, active);
            await new Promise((r) => setImmediate(r));
            await job.ack(job.payload * 10);
            active--;
            return job.payload;
          }, 2),
          bufferCount(4),
          take(3),
        )
        .subscribe({ next: (batch) => batches.push(batch), error: reject, complete: resolve });
    });
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(peak).toBeLessThanOrEqual(2);
    await waitFor(async () => (await queue.stats('obs-rx')).counts.completed === 12, 'all acked');
  });
});

describe('workBatch', () => {
  test('hands over batches and settles each job by its own outcome', async () => {
    const sizes: number[] = [];
    const sent = await queue.sendBatch(
      'batch',
      Array.from({ length: 25 }, (_, i) => ({ payload: i, maxAttempts: 1 })),
    );
    const worker = queue.workBatch<number>(
      'batch',
      async (jobs) => {
        sizes.push(jobs.length);
        return jobs.map((job) =>
          job.payload % 5 === 0
            ? { ok: false, error: new Error(`${job.payload} is a multiple of five`) }
            : { ok: true, result: job.payload * 2 },
        );
      },
      { batchSize: 10, maxWaitMs: 20 },
    );
    try {
      await waitFor(async () => {
        const { counts } = await queue.stats('batch');
        return counts.completed + counts.dead === 25;
      }, 'every job settled');
      const jobs = await Promise.all(sent.map(({ id }) => queue.getJob<number>(id)));
      for (const job of jobs) {
        if (job === null) throw new Error('job vanished');
        if (job.payload % 5 === 0)
          expect(job).toMatchObject({
            state: 'dead',
            lastError: { message: `${job.payload} is a multiple of five` },
          });
        else expect(job).toMatchObject({ state: 'completed', result: job.payload * 2 });
      }
      expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(25);
    } finally {
      await worker.stop();
    }
  });

  test('a partial batch goes out after maxWaitMs; a throw fails the whole batch', async () => {
    let calls = 0;
    const worker = queue.workBatch(
      'batch-throw',
      async () => {
        calls++;
        throw new Error('downstream is down');
      },
      { batchSize: 100, maxWaitMs: 10 },
    );
    try {
      await worker.ready; // both jobs then arrive in one claim, hence one batch
      const sent = await queue.sendBatch('batch-throw', [
        { payload: 1, maxAttempts: 1 },
        { payload: 2, maxAttempts: 1 },
      ]);
      await waitFor(async () => (await queue.stats('batch-throw')).counts.dead === 2, 'both dead');
      expect(calls).toBe(1);
      expect((await queue.getJob(sent[0]?.id ?? ''))?.lastError?.message).toBe(
        'downstream is down',
      );
    } finally {
      await worker.stop();
    }
  });

  test('returning nothing completes every job; a malformed return fails them', async () => {
    const fine = queue.workBatch('batch-void', async () => undefined, { maxWaitMs: 5 });
    const broken = queue.workBatch('batch-malformed', async () => [{ nope: true }] as never, {
      maxWaitMs: 5,
    });
    try {
      await queue.sendBatch('batch-void', [{ payload: 1 }, { payload: 2 }]);
      await queue.sendBatch('batch-malformed', [{ payload: 1, maxAttempts: 1 }]);
      await waitFor(
        async () => (await queue.stats('batch-void')).counts.completed === 2,
        'completions',
      );
      await waitFor(
        async () => (await queue.stats('batch-malformed')).counts.dead === 1,
        'the failure',
      );
    } finally {
      await fine.stop();
      await broken.stop();
    }
  });
});
