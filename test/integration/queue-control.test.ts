import { describe, expect, test } from 'vitest';
import { ErrorCode, QueueBusyError, QueueNotFoundError, ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { useWorkerProcesses, type WorkerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue();
const spawn = useWorkerProcesses(db.url, sql);

async function countRows(text: string, values: unknown[] = []): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM (${text}) AS t`, values);
  return rows[0].n;
}

describe('stored settings', () => {
  test('upsert, get, update and list', async () => {
    const created = await queue.queues.upsert('ctl-a', {
      leaseMs: 5000,
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 10 },
      concurrencyLimit: 4,
      rateLimit: { count: 100, periodMs: 1000 },
      retention: { completedMs: 60_000, mode: 'archive' },
    });
    expect(created).toMatchObject({
      name: 'ctl-a',
      paused: false,
      leaseMs: 5000,
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 10, jitter: 0 },
      concurrencyLimit: 4,
      rateLimit: { count: 100, periodMs: 1000 },
      fairTenants: false,
      retention: { completedMs: 60_000, mode: 'archive' },
    });
    // Only the settings given change; null clears one.
    const updated = await queue.queues.update('ctl-a', { maxAttempts: 7, concurrencyLimit: null });
    expect(updated).toMatchObject({ leaseMs: 5000, maxAttempts: 7, concurrencyLimit: null });
    expect(await queue.queues.get('ctl-a')).toEqual(updated);
    // Upserting again applies what it is given; `create`, its former name, does the same.
    expect(await queue.queues.upsert('ctl-a', { leaseMs: 6000 })).toMatchObject({
      leaseMs: 6000,
      maxAttempts: 7,
    });
    expect(await queue.queues.create('ctl-a', { maxAttempts: 8 })).toMatchObject({
      leaseMs: 6000,
      maxAttempts: 8,
    });
    await queue.queues.update('ctl-a', { maxAttempts: 7 });
    await queue.send('ctl-jobs-only', {});
    const names = (await queue.queues.list()).map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['ctl-a', 'ctl-jobs-only']));
    const jobsOnly = (await queue.queues.list()).find((q) => q.name === 'ctl-jobs-only');
    expect(jobsOnly).toMatchObject({ createdAt: null, stats: { counts: { pending: 1 } } });
  });

  test('a queue without settings reads as every default', async () => {
    expect(await queue.queues.get('nothing-here')).toMatchObject({
      name: 'nothing-here',
      paused: false,
      leaseMs: null,
      concurrencyLimit: null,
      createdAt: null,
    });
  });

  test('stored maxAttempts and backoff apply to jobs sent without their own', async () => {
    await queue.queues.upsert('ctl-defaults', {
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 0 },
    });
    const { id } = await queue.send('ctl-defaults', {});
    const own = await queue.send('ctl-defaults', {}, { maxAttempts: 9 });
    expect((await queue.getJob(id))?.maxAttempts).toBe(2);
    expect((await queue.getJob(own.id))?.maxAttempts).toBe(9);
    const [job] = await queue.claim('ctl-defaults');
    if (job === undefined) throw new Error('nothing claimed');
    expect(job.backoff).toEqual({ type: 'fixed', delayMs: 0, jitter: 0 });
  });

  test('a stored lease applies to workers that set none', async () => {
    await queue.queues.upsert('ctl-lease', { leaseMs: 4000 });
    const worker = queue.work('ctl-lease', async (job) => job.leaseExpiresAt.getTime());
    try {
      const { id } = await queue.send('ctl-lease', {});
      await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 'completion');
      const job = await queue.getJob(id);
      const leaseMs = (job?.result as number) - (job?.startedAt?.getTime() ?? 0);
      expect(leaseMs).toBe(4000);
    } finally {
      await worker.stop();
    }
  });

  test('bad settings are refused with a typed error naming them, and nothing is written', async () => {
    const bad: [unknown, string][] = [
      [{ leaseMs: -1 }, 'leaseMs'],
      [{ concurrencyLimit: 0 }, 'concurrencyLimit'],
      [{ rateLimit: { count: 5 } }, 'rateLimit.periodMs'],
      [{ rateLimit: {} }, 'rateLimit'],
      [{ backoff: { type: 'linear' } }, 'backoff.type'],
      [{ retention: { mode: 'shred' } }, 'retention.mode'],
      [{ fairTenants: 'yes' }, 'fairTenants'],
      [{ paused: true }, 'settings'],
    ];
    for (const [settings, field] of bad) {
      const error = await queue.queues
        .create('ctl-bad', settings as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    await expect(queue.queues.upsert('bad name!', {})).rejects.toBeInstanceOf(ValidationError);
    expect(await countRows(`SELECT 1 FROM pgpulse.queues WHERE name LIKE 'ctl-bad%'`)).toBe(0);
    await expect(queue.queues.update('ctl-missing', { leaseMs: 1000 })).rejects.toBeInstanceOf(
      QueueNotFoundError,
    );
  });
});

/** Sends each process a probe job and waits until each has handled it. */
async function expectProbed(workers: WorkerProcess[]): Promise<void> {
  const ids = await Promise.all(
    workers.map(async (worker) => (await queue.send(worker.probeQueue, { record: true })).id),
  );
  await waitFor(
    async () =>
      (await countRows('SELECT 1 FROM handled WHERE job_id = ANY($1)', [ids])) === ids.length,
    'every process to handle its probe',
  );
}

describe('pause and resume across worker processes', () => {
  test('no process starts a job of a paused queue; resuming starts them at once, without a poll', async () => {
    const workers = await spawn({ TEST_QUEUE: 'ctl-paused', TEST_POLL_MS: '3600000' }, 2);
    await queue.queues.pause('ctl-paused');
    expect((await queue.queues.get('ctl-paused')).paused).toBe(true);
    const sent = await queue.sendBatch(
      'ctl-paused',
      Array.from({ length: 20 }, (_, i) => ({ payload: { i } })),
    );
    // Every process claims when the insert's notification arrives, and finds the queue paused.
    // A probe job sent after it, which each process handles itself, proves the notification
    // was taken: notifications arrive in order.
    await expectProbed(workers);
    expect(
      await countRows(
        `SELECT 1 FROM pgpulse.all_jobs WHERE queue = 'ctl-paused' AND state <> 'pending'`,
      ),
    ).toBe(0);
    const claimed = await queue.claim('ctl-paused', { batchSize: 5 });
    expect(claimed).toEqual([]);
    await queue.queues.resume('ctl-paused');
    // Polls are an hour apart: only the resume notification can start these jobs.
    await waitFor(
      async () => (await queue.stats('ctl-paused')).counts.completed === sent.length,
      'every job of the resumed queue to complete',
    );
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  test('pausing lets running jobs finish', async () => {
    const { id } = await queue.send('ctl-running', {});
    const [job] = await queue.claim('ctl-running');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.queues.pause('ctl-running');
    await queue.complete(job, 'done');
    expect((await queue.getJob(id))?.state).toBe('completed');
  });
});

describe('purge and delete', () => {
  test('purge deletes pending jobs (or the states asked for), never running ones', async () => {
    await queue.sendBatch('ctl-purge', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
    const [running] = await queue.claim('ctl-purge');
    if (running === undefined) throw new Error('nothing claimed');
    expect(await queue.queues.purge('ctl-purge')).toEqual({ pending: 2 });
    expect((await queue.stats('ctl-purge')).counts).toMatchObject({ pending: 0, running: 1 });
    await queue.complete(running);
    expect(await queue.queues.purge('ctl-purge', { states: ['completed'] })).toEqual({
      completed: 1,
    });
    await expect(
      queue.queues.purge('ctl-purge', { states: ['running'] as never }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  test('delete refuses while jobs run, unless forced; then settings and jobs are gone', async () => {
    await queue.queues.upsert('ctl-delete', { concurrencyLimit: 2 });
    await queue.sendBatch('ctl-delete', [{ payload: 1 }, { payload: 2 }]);
    const [job] = await queue.claim('ctl-delete');
    if (job === undefined) throw new Error('nothing claimed');
    const busy = await queue.queues.delete('ctl-delete').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(QueueBusyError);
    expect((busy as QueueBusyError).running).toBe(1);
    expect((await queue.stats('ctl-delete')).counts.pending).toBe(1);
    expect(await queue.queues.delete('ctl-delete', { force: true })).toEqual({ jobs: 2 });
    expect(await queue.getJob(job.id)).toBeNull();
    expect((await queue.queues.get('ctl-delete')).createdAt).toBeNull();
    const missing = await queue.queues.delete('ctl-delete').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: ErrorCode.queueNotFound });
  });
});
