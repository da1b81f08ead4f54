import { describe, expect, test } from 'vitest';
import {
  ErrorCode,
  isPgPulseError,
  NonRetryableError,
  Queue,
  type WorkerEvent,
} from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue();

describe('worker events', () => {
  test('each outcome of a job is an event of its own type, with the job and what happened', async () => {
    const { lines, logger } = recordingLogger();
    const logged = new Queue({ connectionString: db.url, logger });
    const worker = logged.work<{ n: number }>('outcomes', async (job) => {
      if (job.payload.n === 2 && job.attempts === 1) throw new Error('try again');
      if (job.payload.n === 3) throw new NonRetryableError('never');
      return { doubled: job.payload.n * 2 };
    });
    const events: WorkerEvent[] = [];
    worker.events.subscribe((event) => events.push(event));
    try {
      const [one, two, three] = await logged.sendBatch('outcomes', [
        { payload: { n: 1 } },
        { payload: { n: 2 }, backoff: { type: 'fixed', delayMs: 0 } },
        { payload: { n: 3 } },
      ]);
      await waitFor(
        () => events.filter((e) => e.type === 'completed').length === 2,
        'two completions',
      );
      await waitFor(() => events.some((e) => e.type === 'dead'), 'the dead job');
      const of = (id: string | undefined) =>
        events.filter((e) => e.type !== 'error' && e.job.id === id).map((e) => e.type);
      expect(of(one?.id)).toEqual(['completed']);
      expect(of(two?.id)).toEqual(['failed', 'retried', 'completed']);
      expect(of(three?.id)).toEqual(['failed', 'dead']);

      const completed = events.find((e) => e.type === 'completed' && e.job.id === one?.id);
      expect(completed).toMatchObject({ result: { doubled: 2 }, job: { payload: { n: 1 } } });
      if (completed?.type === 'completed') expect(completed.durationMs).toBeGreaterThanOrEqual(0);
      const failedTwo = events.find((e) => e.type === 'failed' && e.job.id === two?.id);
      expect(failedTwo).toMatchObject({
        attempt: 1,
        willRetry: true,
        error: { message: 'try again' },
      });
      if (failedTwo?.type === 'failed') expect(failedTwo.runAt).toBeInstanceOf(Date);
      const failedThree = events.find((e) => e.type === 'failed' && e.job.id === three?.id);
      expect(failedThree).toMatchObject({ attempt: 1, willRetry: false, runAt: null });
      expect((failedThree as { error: unknown }).error).toBeInstanceOf(NonRetryableError);

      // In-process failures reach the log without wrapping the handler: a retry at info, a dead
      // job at warn, each scoped and with the job's fields.
      const retryLine = lines.find((l) => l.level === 'info' && l.fields.jobId === two?.id);
      expect(retryLine?.fields).toMatchObject({
        scope: 'pgpulse.worker',
        queue: 'outcomes',
        attempt: 1,
        error: { message: 'try again' },
      });
      const deadLine = lines.find((l) => l.level === 'warn' && l.fields.jobId === three?.id);
      expect(deadLine?.message).toMatch(/went to dead: never/);
      expect(deadLine?.fields).toMatchObject({ scope: 'pgpulse.worker', name: 'default' });
    } finally {
      await logged.close();
    }
  });

  test('on(type) hears only that type, and stops when told', async () => {
    const worker = queue.work('typed', async () => 'done');
    const dead: string[] = [];
    const completed: unknown[] = [];
    worker.on('dead', (event) => dead.push(event.job.id));
    const off = worker.on('completed', (event) => completed.push(event.result));
    try {
      await queue.send('typed', {});
      await waitFor(() => completed.length === 1, 'the completion');
      off();
      const { id } = await queue.send('typed', {});
      await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 'the second job');
      expect(completed).toEqual(['done']);
      expect(dead).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  test('a lease taken over while the handler runs is a lease-lost event and a warning', async () => {
    const { lines, logger } = recordingLogger();
    const logged = new Queue({ connectionString: db.url, logger });
    const started = deferred<string>();
    const aborted = deferred<unknown>();
    const worker = logged.work(
      'stolen',
      async (job) => {
        started.resolve(job.id);
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
        aborted.resolve(job.signal.reason);
      },
      { leaseMs: 3000, heartbeatMs: 20 },
    );
    const lost: WorkerEvent[] = [];
    worker.on('lease-lost', (event) => lost.push(event));
    try {
      await logged.send('stolen', {});
      const id = await started.promise;
      // Another worker's claim after an expiry: the lease token is not this worker's any more.
      await sql.query('UPDATE pgpulse.jobs SET lease_token = gen_random_uuid() WHERE id = $1', [
        id,
      ]);
      expect(isPgPulseError(await aborted.promise, ErrorCode.leaseLost)).toBe(true);
      await waitFor(() => lost.length === 1, 'the lease-lost event');
      expect(lost[0]).toMatchObject({ type: 'lease-lost', job: { id } });
      const line = lines.find((l) => l.level === 'warn' && l.fields.jobId === id);
      expect(line?.fields.scope).toBe('pgpulse.worker');
    } finally {
      await logged.close();
    }
  });
});
