import { describe, expect, test } from 'vitest';
import {
  type ClaimedJob,
  InvalidStateError,
  JobCancelledError,
  JobNotFoundError,
  LeaseLostError,
  NonRetryableError,
  Queue,
  ValidationError,
} from '../../src/index.js';
import { updateJobs, useTestQueue } from '../helpers/database.js';
import { recordNotifications } from '../helpers/notifications.js';
import { waitFor } from '../helpers/wait.js';

const { db, sql, queue } = await useTestQueue({ poolSize: 12 });

/** Waits until the database clock has passed the job's lease expiry. */
async function waitForLeaseToExpire(id: string): Promise<void> {
  await waitFor(async () => {
    const { rows } = await sql.query(
      'SELECT now() > lease_expires_at AS expired FROM pgpulse.all_jobs WHERE id = $1',
      [id],
    );
    return rows[0]?.expired === true;
  }, `the lease of ${id} to expire`);
}

/** Moves a job's run_at to now, standing in for waiting out its backoff. */
async function makeDue(id: string): Promise<void> {
  await sql.query('UPDATE pgpulse.jobs SET run_at = now() WHERE id = $1', [id]);
}

async function claimOne(name: string, options = {}): Promise<ClaimedJob> {
  const [job] = await queue.claim(name, options);
  if (job === undefined) throw new Error(`nothing to claim in ${name}`);
  return job;
}

describe('claim', () => {
  test('takes due jobs only, lowest priority number first, then oldest run_at', async () => {
    const past = (ms: number) => new Date(Date.now() - ms);
    const sent = await queue.sendBatch('order', [
      { payload: 'low-old', priority: 5, runAt: past(60_000) },
      { payload: 'high-new', priority: -1, runAt: past(1_000) },
      { payload: 'normal-old', runAt: past(50_000) },
      { payload: 'normal-new', runAt: past(10_000) },
      { payload: 'future', priority: -10, delayMs: 3_600_000 },
    ]);
    const claimed = await queue.claim('order', { batchSize: 10 });
    expect(claimed.map((job) => job.payload)).toEqual([
      'high-new',
      'normal-old',
      'normal-new',
      'low-old',
    ]);
    expect(claimed.map((job) => job.id)).not.toContain(sent[4]?.id);
    expect((await queue.getJob(sent[4]?.id ?? ''))?.state).toBe('pending');
  });

  test('leases each job with its own token and counts the attempt', async () => {
    await queue.sendBatch('lease', [{ payload: 1 }, { payload: 2 }]);
    const jobs = await queue.claim('lease', {
      batchSize: 2,
      leaseMs: 45_000,
      workerId: 'worker-7',
    });
    expect(new Set(jobs.map((job) => job.leaseToken)).size).toBe(2);
    for (const job of jobs) {
      expect(job).toMatchObject({ attempts: 1, workerId: 'worker-7' });
      expect(job.leaseExpiresAt.getTime() - job.startedAt.getTime()).toBe(45_000);
      expect((await queue.getJob(job.id))?.state).toBe('running');
    }
  });

  test('8 concurrent claimers over 2,000 jobs claim every job exactly once', async () => {
    const sent = await queue.sendBatch(
      'contended',
      Array.from({ length: 2000 }, (_, i) => ({ payload: { i } })),
    );
    const claimers = Array.from({ length: 8 }, (_, worker) =>
      (async () => {
        const mine: string[] = [];
        for (;;) {
          const jobs = await queue.claim('contended', { batchSize: 7, workerId: `w${worker}` });
          if (jobs.length === 0) return mine;
          mine.push(...jobs.map((job) => job.id));
          await queue.completeMany(jobs.map((job) => ({ job })));
        }
      })(),
    );
    const perClaimer = await Promise.all(claimers);
    const all = perClaimer.flat();
    expect(all).toHaveLength(2000);
    expect(new Set(all)).toEqual(new Set(sent.map((s) => s.id)));
    expect(perClaimer.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    const { rows } = await sql.query(
      `SELECT state, attempts, count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = 'contended' GROUP BY 1, 2`,
    );
    expect(rows).toEqual([{ state: 'completed', attempts: 1, n: 2000 }]);
  });

  test('a tenant-scoped claim sees only that tenant’s jobs', async () => {
    await queue.sendBatch('tenants', [
      { payload: 'a1', tenant: 'a' },
      { payload: 'b1', tenant: 'b' },
      { payload: 'none' },
      { payload: 'a2', tenant: 'a' },
    ]);
    const forA = await queue.claim('tenants', { batchSize: 10, tenant: 'a' });
    expect(forA.map((job) => job.payload)).toEqual(['a1', 'a2']);
    expect(forA.every((job) => job.tenant === 'a')).toBe(true);
    const rest = await queue.claim('tenants', { batchSize: 10 });
    expect(rest.map((job) => job.payload).sort()).toEqual(['b1', 'none']);
  });

  test.each<[string, Record<string, unknown>]>([
    ['batchSize 0', { batchSize: 0 }],
    ['batchSize too large', { batchSize: 1e6 }],
    ['a negative lease', { leaseMs: -5 }],
    ['an empty tenant', { tenant: '' }],
    ['an unknown option', { limit: 5 }],
  ])('refuses %s', async (_what, options) => {
    await expect(queue.claim('lease', options)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('complete', () => {
  test('stores the result and finishes the job', async () => {
    const { id } = await queue.send('complete', { n: 1 });
    const job = await claimOne('complete');
    await queue.complete(job, { sum: 42, list: [1, 2] });
    const stored = await queue.getJob(id);
    expect(stored).toMatchObject({
      state: 'completed',
      result: { sum: 42, list: [1, 2] },
      leaseToken: null,
    });
    expect(stored?.finishedAt).toBeInstanceOf(Date);
  });

  test('completing twice is refused the second time', async () => {
    await queue.send('complete', {});
    const job = await claimOne('complete');
    await queue.complete(job);
    await expect(queue.complete(job)).rejects.toBeInstanceOf(LeaseLostError);
  });

  test('a result that is not storable JSON is refused and the job stays running', async () => {
    const { id } = await queue.send('complete', {});
    const job = await claimOne('complete');
    await expect(queue.complete(job, { when: new Date() })).rejects.toMatchObject({
      field: 'result.when',
    });
    expect((await queue.getJob(id))?.state).toBe('running');
  });

  test('completeMany reports per job: one lost lease does not fail the others', async () => {
    await queue.sendBatch('many', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
    const jobs = await queue.claim('many', { batchSize: 3 });
    const [first, second, third] = jobs;
    if (first === undefined || second === undefined || third === undefined)
      throw new Error('claim');
    await queue.cancel(second.id);
    const outcomes = await queue.completeMany([
      { job: first, result: 'one' },
      { job: second, result: 'two' },
      { job: { ...third, leaseToken: '00000000-0000-4000-8000-000000000000' } },
    ]);
    expect(outcomes[0]).toEqual({ id: first.id, ok: true });
    expect(outcomes[1]).toMatchObject({ id: second.id, ok: false });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toBeInstanceOf(JobCancelledError);
    expect(outcomes[2]?.ok === false && outcomes[2].error).toBeInstanceOf(LeaseLostError);
  });

  test('a malformed job handle is a validation error, not a database error', async () => {
    await expect(queue.complete({ id: 'nope', leaseToken: 'x' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(queue.complete(null as never)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('leases', () => {
  test('a heartbeat keeps a lease alive past its first expiry', async () => {
    const { id } = await queue.send('heartbeat', {});
    const job = await claimOne('heartbeat', { leaseMs: 300 });
    const extendedTo = await queue.heartbeat(job, { leaseMs: 60_000 });
    expect(extendedTo.getTime()).toBeGreaterThan(job.leaseExpiresAt.getTime());
    // Wait until the database clock is past the first expiry: the lease must still hold.
    await waitFor(async () => {
      const { rows } = await sql.query('SELECT now() > $1::timestamptz AS past', [
        job.leaseExpiresAt,
      ]);
      return rows[0].past === true;
    }, 'the first lease expiry to pass');
    expect(await queue.reclaimExpired()).toEqual([]);
    await queue.complete(job, 'done');
    expect((await queue.getJob(id))?.state).toBe('completed');
  });

  test('an expired lease is reclaimed by the sweeper and the old holder is fenced off', async () => {
    const { id } = await queue.send('expire', { n: 1 });
    const stale = await claimOne('expire', { leaseMs: 20, workerId: 'crashed' });
    await waitForLeaseToExpire(id);
    const reclaimed = await queue.reclaimExpired();
    expect(reclaimed).toEqual([{ id, queue: 'expire', state: 'pending' }]);

    const fresh = await claimOne('expire', { workerId: 'healthy' });
    expect(fresh.id).toBe(id);
    expect(fresh.attempts).toBe(2);
    expect(fresh.lastError).toMatchObject({
      name: 'LeaseExpired',
      code: 'LEASE_EXPIRED',
      attempt: 1,
    });

    await expect(queue.complete(stale, 'stale result')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.heartbeat(stale)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.fail(stale, new Error('late'))).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.release(stale)).rejects.toBeInstanceOf(LeaseLostError);

    await queue.complete(fresh, 'fresh result');
    expect((await queue.getJob(id))?.result).toBe('fresh result');
  });

  test('an expired lease on the last attempt sends the job to dead', async () => {
    const { id } = await queue.send('expire-last', {}, { maxAttempts: 1 });
    await claimOne('expire-last', { leaseMs: 20 });
    await waitForLeaseToExpire(id);
    expect(await queue.reclaimExpired()).toEqual([{ id, queue: 'expire-last', state: 'dead' }]);
    expect((await queue.getJob(id))?.state).toBe('dead');
  });

  test('the sweeper in interval mode reclaims without being asked', async () => {
    const { id } = await queue.send('interval', {});
    await claimOne('interval', { leaseMs: 20 });
    const sweeper = queue.sweeper({ intervalMs: 20 });
    sweeper.start();
    try {
      await waitFor(
        async () => (await queue.getJob(id))?.state === 'pending',
        'the sweeper to reclaim',
      );
    } finally {
      await sweeper.stop();
    }
  });

  test('heartbeatMany renews what it can and reports the rest', async () => {
    await queue.sendBatch('beats', [{ payload: 1 }, { payload: 2 }]);
    const [kept, lost] = await queue.claim('beats', { batchSize: 2 });
    if (kept === undefined || lost === undefined) throw new Error('claim');
    await queue.cancel(lost.id);
    const outcomes = await queue.heartbeatMany([kept, lost], { leaseMs: 10_000 });
    expect(outcomes[0]).toMatchObject({ id: kept.id, ok: true });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toBeInstanceOf(JobCancelledError);
  });
});

describe('fail and retry', () => {
  test('retry delays follow an exponential policy', async () => {
    const { id } = await queue.send(
      'backoff',
      {},
      {
        maxAttempts: 4,
        backoff: { type: 'exponential', baseMs: 1000, factor: 2, maxMs: 3000, jitter: 0 },
      },
    );
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await claimOne('backoff');
      expect(job.attempts).toBe(attempt);
      const outcome = await queue.fail(job, new Error(`failure ${attempt}`));
      expect(outcome.state).toBe('pending');
      const { rows } = await sql.query(
        'SELECT extract(epoch FROM run_at - updated_at) * 1000 AS ms FROM pgpulse.all_jobs WHERE id = $1',
        [id],
      );
      delays.push(Number(rows[0].ms));
      expect(await queue.claim('backoff')).toEqual([]); // not due yet
      await makeDue(id);
    }
    expect(delays).toEqual([1000, 2000, 3000]);
  });

  test("the queue's default policy applies to a job without one", async () => {
    const fixedQueue = new Queue({
      connectionString: db.url,
      backoff: { type: 'fixed', delayMs: 1234 },
    });
    try {
      const { id } = await fixedQueue.send('default-backoff', {});
      const [job] = await fixedQueue.claim('default-backoff');
      if (job === undefined) throw new Error('claim');
      await fixedQueue.fail(job, new Error('x'));
      const { rows } = await sql.query(
        'SELECT extract(epoch FROM run_at - updated_at) * 1000 AS ms FROM pgpulse.all_jobs WHERE id = $1',
        [id],
      );
      expect(Number(rows[0].ms)).toBe(1234);
    } finally {
      await fixedQueue.close();
    }
  });

  test('a non-retryable failure goes to dead at once', async () => {
    const a = await queue.send('fatal', { n: 'a' }, { maxAttempts: 5 });
    const b = await queue.send('fatal', { n: 'b' }, { maxAttempts: 5 });
    const first = await claimOne('fatal');
    expect(await queue.fail(first, new Error('bad input'), { retryable: false })).toMatchObject({
      state: 'dead',
    });
    const second = await claimOne('fatal');
    expect(await queue.fail(second, new NonRetryableError('no such user'))).toMatchObject({
      state: 'dead',
    });
    for (const { id } of [a, b]) {
      const job = await queue.getJob(id);
      expect(job).toMatchObject({ state: 'dead', attempts: 1 });
      expect(job?.lastError).toMatchObject({ retryable: false, attempt: 1 });
      expect(job?.finishedAt).toBeInstanceOf(Date);
    }
  });

  test('attempts exhausted: dead, with every error in the history', async () => {
    const { id } = await queue.send(
      'exhaust',
      {},
      { maxAttempts: 3, backoff: { type: 'fixed', delayMs: 0 } },
    );
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await claimOne('exhaust');
      const outcome = await queue.fail(
        job,
        Object.assign(new Error(`boom ${attempt}`), { code: 'E_BOOM' }),
      );
      expect(outcome.state).toBe(attempt < 3 ? 'pending' : 'dead');
    }
    const job = await queue.getJob(id);
    expect(job?.state).toBe('dead');
    expect(job?.errors.map((e) => [e.attempt, e.message, e.code])).toEqual([
      [1, 'boom 1', 'E_BOOM'],
      [2, 'boom 2', 'E_BOOM'],
      [3, 'boom 3', 'E_BOOM'],
    ]);
    expect(job?.lastError?.message).toBe('boom 3');
  });

  test('the error history keeps only the newest entries', async () => {
    const short = new Queue({ connectionString: db.url, errorHistory: 2 });
    try {
      const { id } = await short.send(
        'history',
        {},
        { maxAttempts: 4, backoff: { type: 'fixed', delayMs: 0 } },
      );
      for (let attempt = 1; attempt <= 4; attempt++) {
        const [job] = await short.claim('history');
        if (job === undefined) throw new Error('claim');
        await short.fail(job, new Error(`e${attempt}`));
      }
      expect((await short.getJob(id))?.errors.map((e) => e.message)).toEqual(['e3', 'e4']);
    } finally {
      await short.close();
    }
  });

  test('redrive brings dead jobs back with fresh attempts', async () => {
    const { id } = await queue.send('redrive', { n: 1 }, { maxAttempts: 1 });
    await queue.fail(await claimOne('redrive'), new Error('first life'));
    expect((await queue.getJob(id))?.state).toBe('dead');

    await queue.retryDead(id);
    expect(await queue.getJob(id)).toMatchObject({
      state: 'pending',
      attempts: 0,
      finishedAt: null,
    });
    const again = await claimOne('redrive');
    expect(again.id).toBe(id);
    await queue.complete(again);
    expect((await queue.getJob(id))?.errors).toHaveLength(1); // history survives the redrive

    await expect(queue.retryDead(id)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(queue.retryDead('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
  });

  test('bulk redrive of a queue skips a job whose key an unfinished job now holds', async () => {
    const dead = await queue.sendBatch('dlq', [
      { payload: 1, maxAttempts: 1 },
      { payload: 2, maxAttempts: 1, idempotencyKey: 'k' },
    ]);
    for (const job of await queue.claim('dlq', { batchSize: 2 })) {
      await queue.fail(job, new Error('x'), { retryable: false });
    }
    const holder = await queue.send('dlq', { n: 'new' }, { idempotencyKey: 'k' });
    expect(holder.duplicate).toBe(false);
    expect(await queue.redrive('dlq')).toEqual([dead[0]?.id]);
    await expect(queue.retryDead(dead[1]?.id ?? '')).rejects.toThrow('holds its idempotency key');
  });
});

describe('release', () => {
  test('gives the job back without spending an attempt', async () => {
    const { id } = await queue.send('release', {});
    const job = await claimOne('release');
    await queue.release(job);
    expect(await queue.getJob(id)).toMatchObject({
      state: 'pending',
      attempts: 0,
      leaseToken: null,
    });
    expect((await claimOne('release')).attempts).toBe(1);
  });

  test('with a delay, the job is due again later', async () => {
    const { id } = await queue.send('release-later', {});
    await queue.release(await claimOne('release-later'), { delayMs: 60_000 });
    expect(await queue.claim('release-later')).toEqual([]);
    await makeDue(id);
    expect((await claimOne('release-later')).id).toBe(id);
  });
});

describe('cancel', () => {
  test('a cancelled pending job never runs', async () => {
    const { id } = await queue.send('cancel', {});
    expect(await queue.cancel(id)).toEqual({ id, previousState: 'pending' });
    expect(await queue.claim('cancel')).toEqual([]);
    expect((await queue.getJob(id))?.state).toBe('cancelled');
  });

  test("cancel wins over a running job's later completion, and tells its process", async () => {
    const jobsChannel = await recordNotifications(db.url, 'pgpulse.jobs');
    try {
      const { id } = await queue.send('cancel-running', {});
      const job = await claimOne('cancel-running');
      await jobsChannel.barrier();
      jobsChannel.received.length = 0; // the insert's own announcement
      expect(await queue.cancel(id)).toEqual({ id, previousState: 'running' });
      await jobsChannel.barrier();
      expect(jobsChannel.received).toEqual([{ cancel: id, queue: 'cancel-running' }]);
      await expect(queue.complete(job, 'too late')).rejects.toBeInstanceOf(JobCancelledError);
      await expect(queue.fail(job, new Error('too late'))).rejects.toBeInstanceOf(
        JobCancelledError,
      );
      expect(await queue.getJob(id)).toMatchObject({ state: 'cancelled', result: null });
    } finally {
      await jobsChannel.close();
    }
  });

  test('cancelling twice changes nothing; a finished or unknown job is refused', async () => {
    const { id } = await queue.send('cancel-twice', {});
    await queue.cancel(id);
    expect(await queue.cancel(id)).toEqual({ id, previousState: 'cancelled' });
    const done = await queue.send('cancel-done', {});
    await queue.complete(await claimOne('cancel-done'));
    await expect(queue.cancel(done.id)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(queue.cancel('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    await expect(queue.cancel('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('inspection and maintenance', () => {
  test('getJob returns null for an unknown id and refuses a malformed one', async () => {
    expect(await queue.getJob('00000000-0000-4000-8000-000000000000')).toBeNull();
    await expect(queue.getJob("1' OR '1'='1")).rejects.toBeInstanceOf(ValidationError);
  });

  test('stats counts every state and the oldest due job’s wait', async () => {
    await queue.sendBatch('stats', [
      { payload: 1, runAt: new Date(Date.now() - 5000) },
      { payload: 2 },
      { payload: 3 },
      { payload: 4, delayMs: 3_600_000 },
    ]);
    const [running, toComplete, toKill] = await queue.claim('stats', { batchSize: 3 });
    if (running === undefined || toComplete === undefined || toKill === undefined)
      throw new Error('claim');
    await queue.complete(toComplete);
    await queue.fail(toKill, new Error('x'), { retryable: false });
    const { id: cancelled } = await queue.send('stats', {});
    await queue.cancel(cancelled);
    const { id: waiting } = await queue.send('stats', {}, { runAt: new Date(Date.now() - 2000) });

    const stats = await queue.stats('stats');
    expect(stats).toMatchObject({
      queue: 'stats',
      counts: { pending: 2, running: 1, completed: 1, dead: 1, cancelled: 1 },
      scheduled: 1,
    });
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(2000);
    expect((await queue.stats()).map((s) => s.queue)).toContain('stats');
    expect(await queue.stats('never-used')).toMatchObject({
      counts: { pending: 0, running: 0, completed: 0, dead: 0, cancelled: 0 },
      oldestPendingAgeMs: null,
    });
    expect(waiting).toBeTruthy();
  });

  test('retention deletes or archives finished jobs past the cutoff, in bounded batches', async () => {
    const sent = await queue.sendBatch(
      'retention',
      Array.from({ length: 10 }, (_, i) => ({ payload: { i } })),
    );
    for (const job of await queue.claim('retention', { batchSize: 10 })) await queue.complete(job);
    // Age seven of them; three finished "just now" stay.
    const old = sent.slice(0, 7).map((s) => s.id);
    await updateJobs(
      sql,
      `UPDATE pgpulse.jobs SET finished_at = now() - interval '2 days' WHERE id = ANY($1)`,
      [old],
    );
    const archived = await queue.prune({
      queue: 'retention',
      olderThanMs: 86_400_000,
      mode: 'archive',
      batchSize: 3,
    });
    expect(archived).toEqual({ deleted: 7, archived: 7, skipped: false, partitions: 0 });
    const fromArchive = await queue.getJob(old[0] ?? '');
    expect(fromArchive).toMatchObject({ state: 'completed', archived: true, payload: { i: 0 } });
    expect((await queue.stats('retention')).counts.completed).toBe(3);

    await updateJobs(
      sql,
      `UPDATE pgpulse.jobs SET finished_at = now() - interval '2 days' WHERE queue = 'retention'`,
    );
    const retention = queue.retention({
      queue: 'retention',
      olderThanMs: 86_400_000,
      batchSize: 2,
    });
    expect(await retention.runOnce()).toEqual({
      deleted: 3,
      archived: 0,
      skipped: false,
      partitions: 0,
    });
    expect(await queue.getJob(sent[9]?.id ?? '')).toBeNull();
  });

  test('retention leaves states it was not asked to prune', async () => {
    const { id } = await queue.send('retention-dead', {}, { maxAttempts: 1 });
    await queue.fail(await claimOne('retention-dead'), new Error('x'));
    await updateJobs(
      sql,
      `UPDATE pgpulse.jobs SET finished_at = now() - interval '30 days' WHERE id = $1`,
      [id],
    );
    expect(
      await queue.prune({
        queue: 'retention-dead',
        states: ['completed', 'cancelled'],
        olderThanMs: 0,
      }),
    ).toEqual({ deleted: 0, archived: 0, skipped: false, partitions: 0 });
    expect((await queue.getJob(id))?.state).toBe('dead');
    await expect(queue.prune({ states: ['running' as never] })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
