import pg from 'pg';
import { filter, firstValueFrom, take } from 'rxjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ErrorCode,
  grant,
  grantStatements,
  JobAlreadyExistsError,
  type JobEvent,
  migrate,
  PermissionError,
  Queue,
  type QueueOptions,
  ValidationError,
} from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { quoteRole, type TestRole, testRoles } from '../helpers/roles.js';
import { waitFor } from '../helpers/wait.js';

// The schema is installed by a role that is not a superuser and owns it; the application roles
// hold only what grant() gives them. EXECUTE is revoked from PUBLIC on every function of the
// schema, so that PostgreSQL's default grant cannot hide a function missing from a set.
const db = await createTestDatabase({ migrated: false });
const sql = new pg.Pool({ connectionString: db.url }); // superuser, to look behind the roles' backs
const roles = testRoles(db);
const queues: Queue[] = [];

let owner: TestRole;
let producer: TestRole;
let consumer: TestRole;
let admin: TestRole;
let both: TestRole;
let nobody: TestRole;

beforeAll(async () => {
  owner = await roles.create('owner');
  await sql.query(`GRANT CREATE ON DATABASE ${db.name} TO ${quoteRole(owner.name)}`);
  await migrate(owner.url);
  const asOwner = new pg.Client({ connectionString: owner.url });
  await asOwner.connect();
  try {
    await asOwner.query('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA pgpulse FROM PUBLIC');
  } finally {
    await asOwner.end();
  }
  producer = await roles.create('produce');
  consumer = await roles.create('consume');
  admin = await roles.create('admin');
  both = await roles.create('produce_consume');
  nobody = await roles.create('nothing');
  await grant(owner.url, producer.name, { produce: true });
  await grant(owner.url, consumer.name, { consume: true });
  await grant(owner.url, admin.name, { admin: true });
  await grant(owner.url, both.name, { produce: true, consume: true });
});

afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  await sql.end();
  await roles.dropAll();
  await db.drop();
});

/** A queue connected as `role`, closed after the file. */
function queueAs(role: TestRole, options: Omit<QueueOptions, 'connectionString'> = {}): Queue {
  const queue = new Queue({ ...options, connectionString: role.url });
  queues.push(queue);
  return queue;
}

async function watchers(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.event_watchers');
  return rows[0].n;
}

async function can(role: TestRole, privilege: string, table: string): Promise<boolean> {
  const { rows } = await sql.query('SELECT has_table_privilege($1, $2, $3) AS ok', [
    role.name,
    table,
    privilege,
  ]);
  return rows[0].ok;
}

/** What a refusal must look like: typed, naming the role and the grant that would allow it. */
function expectRefusal(error: unknown, role: TestRole, grants: string[]): void {
  expect(error).toBeInstanceOf(PermissionError);
  expect(error).toMatchObject({ code: ErrorCode.permission, sqlState: '42501', role: role.name });
  expect((error as PermissionError).grants).toEqual(grants);
  expect((error as Error).message).toContain(`"${role.name}"`);
  expect((error as Error).message).toContain(`pgpulse grant ${role.name} --${grants[0]}`);
}

describe('migrate()', () => {
  test('on a current schema needs no CREATE: an application role may call it', async () => {
    const { rows } = await sql.query(
      "SELECT has_database_privilege($1, current_database(), 'CREATE') AS may",
      [both.name],
    );
    expect(rows[0].may).toBe(false);
    expect((await migrate(both.url)).applied).toEqual([]);
    expect((await queueAs(both).migrate()).applied).toEqual([]);
  });

  test('with migrations to apply, an application role gets a PermissionError at once', async () => {
    const error = await migrate(both.url, { schema: 'elsewhere' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionError);
    expect(error).toMatchObject({
      code: ErrorCode.permission,
      sqlState: '42501',
      role: both.name,
      operation: 'migrate',
      grants: [],
    });
    expect((error as Error).message).toMatch(/as the role that owns the schema/);
  });
});

describe('a role granted produce and consume, on a schema it does not own', () => {
  test('runs send, sendBatch, work, observe, workBatch, events, cancel, getJob and stats', async () => {
    const { rows } = await sql.query(
      "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'pgpulse'",
    );
    expect(rows[0].owner).toBe(owner.name);
    const queue = queueAs(both);
    const seen: JobEvent[] = [];
    const subscription = queue.events().subscribe((event) => seen.push(event));
    try {
      await waitFor(async () => (await watchers()) === 1, 'the watcher to register');

      // send, with and without keys, in every duplicate mode
      const plain = await queue.send('pc-work', { n: 1 });
      const keyed = await queue.send('pc-work', { n: 2 }, { idempotencyKey: 'k', delayMs: 60_000 });
      const again = await queue.send(
        'pc-work',
        { n: 3 },
        { idempotencyKey: 'k', onDuplicate: 'replace' },
      );
      expect(again).toMatchObject({ id: keyed.id, duplicate: true });
      await expect(
        queue.send('pc-work', { n: 4 }, { idempotencyKey: 'k', onDuplicate: 'reject' }),
      ).rejects.toBeInstanceOf(JobAlreadyExistsError);

      // work, with progress and a log line
      const worker = queue.work<{ n: number }>('pc-work', async (job) => {
        await job.progress({ half: true });
        await job.log('working');
        return job.payload.n * 10;
      });
      try {
        await waitFor(
          async () => (await queue.getJob(keyed.id))?.state === 'completed',
          'both jobs completed by work()',
        );
      } finally {
        await worker.stop();
      }
      expect(await queue.getJob(plain.id)).toMatchObject({ state: 'completed', result: 10 });
      expect(await queue.getJob(keyed.id)).toMatchObject({ result: 30, progress: { half: true } });

      // sendBatch and workBatch
      const batch = await queue.sendBatch('pc-batch', [
        { payload: 1 },
        { payload: 2, idempotencyKey: 'b' },
        { payload: 3, tenant: 'acme' },
      ]);
      const batchWorker = queue.workBatch<number>(
        'pc-batch',
        async (jobs) => jobs.map((job) => ({ ok: true, result: job.payload })),
        { batchSize: 10, maxWaitMs: 5 },
      );
      try {
        await waitFor(
          async () => (await queue.stats('pc-batch')).counts.completed === 3,
          'workBatch to complete the batch',
        );
      } finally {
        await batchWorker.stop();
      }
      expect(batch).toHaveLength(3);

      // observe: ack one, fail one for good (settled while subscribed: unsubscribing releases)
      const [acked, nacked] = await queue.sendBatch('pc-observe', [
        { payload: 'a' },
        { payload: 'b' },
      ]);
      const settled: Promise<void>[] = [];
      const observing = queue.observe<string>('pc-observe').subscribe((job) => {
        settled.push(
          job.payload === 'a' ? job.ack('fine') : job.nack(new Error('no'), { retryable: false }),
        );
      });
      try {
        await waitFor(() => settled.length === 2, 'observe to deliver both jobs');
        await Promise.all(settled);
      } finally {
        observing.unsubscribe();
      }
      expect(await queue.getJob(acked?.id ?? '')).toMatchObject({ state: 'completed' });
      expect(await queue.getJob(nacked?.id ?? '')).toMatchObject({ state: 'dead' });

      // cancel a pending and a running job; retry and release by hand; the sweeper
      const later = await queue.send('pc-cancel', {}, { delayMs: 60_000 });
      expect(await queue.cancel(later.id)).toMatchObject({ previousState: 'pending' });
      await queue.send('pc-cancel', {}, { backoff: { type: 'fixed', delayMs: 0 } });
      const [running] = await queue.claim('pc-cancel');
      if (running === undefined) throw new Error('nothing claimed');
      await queue.heartbeat(running);
      await queue.fail(running, new Error('again'));
      const [retried] = await queue.claim('pc-cancel');
      if (retried === undefined) throw new Error('nothing claimed');
      await queue.release(retried);
      const [held] = await queue.claim('pc-cancel', { leaseMs: 1 });
      if (held === undefined) throw new Error('nothing claimed');
      await waitFor(async () => (await queue.reclaimExpired()).length === 1, 'the sweeper');
      const [last] = await queue.claim('pc-cancel');
      expect(await queue.cancel(last?.id ?? '')).toMatchObject({ previousState: 'running' });

      // stats and getJob
      expect(await queue.stats('pc-work')).toMatchObject({ counts: { completed: 2 } });
      expect((await queue.stats()).map((s) => s.queue)).toContain('pc-batch');
      expect(await queue.getJob(later.id)).toMatchObject({ state: 'cancelled' });

      // events of every kind, including those the insert trigger sends as the schema's owner
      await waitFor(
        () => seen.filter((e) => e.type === 'cancelled').length === 2,
        'the cancelled events',
      );
      const types = new Set(seen.map((event) => event.type));
      for (const type of ['enqueued', 'started', 'completed', 'failed', 'retried', 'dead']) {
        expect(types).toContain(type);
      }
      expect(seen.filter((e) => e.type === 'enqueued' && e.id === plain.id)).toHaveLength(1);
    } finally {
      subscription.unsubscribe();
    }
  });

  test('claims from limited and fair queues, and a plain INSERT into a fair queue is filed', async () => {
    const ownerQueue = queueAs(owner);
    await ownerQueue.queues.upsert('pc-limited', {
      concurrencyLimit: 2,
      rateLimit: { count: 100, periodMs: 1000 },
    });
    await ownerQueue.queues.upsert('pc-fair', { fairTenants: true });
    const queue = queueAs(both);
    await queue.sendBatch('pc-limited', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
    expect(await queue.claim('pc-limited', { batchSize: 3 })).toHaveLength(2);

    await queue.sendBatch('pc-fair', [
      { payload: 1, tenant: 'a' },
      { payload: 2, tenant: 'a' },
      { payload: 3, tenant: 'b' },
    ]);
    const asProducer = new pg.Client({ connectionString: producer.url });
    await asProducer.connect();
    try {
      // The trigger files it under '' with the owner's rights: the producer may not UPDATE tenant.
      await asProducer.query("INSERT INTO pgpulse.jobs (queue, payload) VALUES ('pc-fair', '4')");
    } finally {
      await asProducer.end();
    }
    const claimed = await queue.claim('pc-fair', { batchSize: 3 });
    expect(new Set(claimed.map((job) => job.tenant))).toEqual(new Set(['a', 'b', null]));
  });
});

describe('each set alone', () => {
  test('produce: send, sendBatch, getJob and stats; claiming says to grant --consume', async () => {
    const queue = queueAs(producer);
    const { id } = await queue.send('p-only', { n: 1 });
    await queue.sendBatch('p-only', [{ payload: 2, idempotencyKey: 'x' }]);
    await queue.sendBatch('p-only', [{ payload: 3, idempotencyKey: 'x' }], {
      onDuplicate: 'replace',
    });
    expect(await queue.getJob(id)).toMatchObject({ state: 'pending' });
    expect((await queue.stats('p-only')).counts.pending).toBe(2);
    expectRefusal(await queue.claim('p-only').catch((e: unknown) => e), producer, ['consume']);
    expectRefusal(await queue.cancel(id).catch((e: unknown) => e), producer, ['consume', 'admin']);
    expectRefusal(await queue.queues.pause('p-only').catch((e: unknown) => e), producer, ['admin']);
    expect(await can(producer, 'UPDATE', 'pgpulse.queues')).toBe(false);
    expect(await can(producer, 'DELETE', 'pgpulse.jobs')).toBe(false);
  });

  test('consume: claims and settles what others sent; sending says to grant --produce', async () => {
    await queueAs(producer).send('c-only', { n: 1 });
    const queue = queueAs(consumer);
    const [job] = await queue.claim('c-only');
    if (job === undefined) throw new Error('nothing claimed');
    await queue.complete(job, 'done');
    expect(await queue.getJob(job.id)).toMatchObject({ state: 'completed', result: 'done' });
    expectRefusal(await queue.send('c-only', {}).catch((e: unknown) => e), consumer, ['produce']);
    expectRefusal(await queue.queues.upsert('c-only').catch((e: unknown) => e), consumer, [
      'admin',
    ]);
    expect(await can(consumer, 'INSERT', 'pgpulse.jobs')).toBe(false);
  });

  test('admin: queue settings, pause, purge, delete, redrive, retention, cancel, events', async () => {
    const sender = queueAs(producer);
    const queue = queueAs(admin);
    const events = firstValueFrom(
      queue.events('a-q').pipe(
        filter((event) => event.type === 'cancelled'),
        take(1),
      ),
    );
    await waitFor(async () => (await watchers()) === 1, 'the admin watcher to register');
    await queue.queues.upsert('a-q', {
      concurrencyLimit: 3,
      retention: { completedMs: 0, mode: 'archive' },
    });
    await queue.queues.update('a-q', { maxAttempts: 2 });
    await queue.queues.pause('a-q');
    await queue.queues.resume('a-q');
    expect(await queue.queues.get('a-q')).toMatchObject({ concurrencyLimit: 3, maxAttempts: 2 });

    const { id: doomed } = await sender.send('a-q', {}, { maxAttempts: 1 });
    const [job] = await queueAs(consumer).claim('a-q');
    if (job?.id !== doomed) throw new Error('claim');
    await queueAs(consumer).fail(job, new Error('boom'));
    expect(await queue.redrive('a-q')).toEqual([doomed]);
    expect(await queue.cancel(doomed)).toMatchObject({ previousState: 'pending' });
    expect(await events).toMatchObject({ id: doomed });
    expect(await queue.prune({ olderThanMs: 0, queue: 'a-q' })).toMatchObject({ archived: 1 });
    expect(await queue.getJob(doomed)).toMatchObject({ archived: true });

    await sender.sendBatch('a-q', [{ payload: 1 }, { payload: 2 }]);
    expect(await queue.listJobs('a-q')).toHaveLength(2);
    expect(await queue.queues.purge('a-q')).toEqual({ pending: 2 });
    expect((await queue.queues.list()).map((q) => q.name)).toContain('a-q');
    expect(await queue.reclaimExpired()).toEqual([]);
    await queue.queues.delete('a-q');
    expectRefusal(await queue.send('a-q', {}).catch((e: unknown) => e), admin, ['produce']);
  });

  test('schedules: admin sets, pauses, resumes, triggers and removes; consume fires ticks', async () => {
    const queue = queueAs(admin);
    const worker = queueAs(consumer);
    await queue.schedules.set('s-priv', { every: 100, queue: 's-q', overlap: 'skip' });
    // Claiming the tick's job moves the schedule on, with the consume set alone.
    let claimed: Awaited<ReturnType<Queue['claim']>>[number] | undefined;
    await waitFor(async () => {
      [claimed] = await worker.claim('s-q');
      return claimed !== undefined;
    }, 'the first tick');
    if (claimed?.tickAt == null) throw new Error('not a tick');
    const moved = await worker.schedules.get('s-priv');
    expect(moved?.nextRunAt?.getTime()).toBeGreaterThan(claimed.tickAt.getTime());
    expect(moved?.lastJob).toMatchObject({ id: claimed.id, state: 'running' });
    await worker.complete(claimed);
    await queue.schedules.pause('s-priv');
    await queue.schedules.resume('s-priv');
    expect((await queue.schedules.trigger('s-priv')).id).toMatch(/-/);
    expect((await queueAs(producer).schedules.list()).map((s) => s.name)).toEqual(['s-priv']);
    for (const [role, grants] of [
      [producer, ['admin']],
      [consumer, ['admin']],
    ] as const) {
      const error = await queueAs(role)
        .schedules.set('s-other', { every: 1000, queue: 's-q' })
        .catch((e: unknown) => e);
      expectRefusal(error, role, [...grants]);
    }
    expect(await queue.schedules.remove('s-priv')).toBe(true);
    expect(await can(admin, 'INSERT', 'pgpulse.jobs')).toBe(false);
  });

  test('flows: produce sends them, consume settles and cancels them, admin redrives and prunes', async () => {
    const sender = queueAs(producer);
    const worker = queueAs(consumer);
    const operator = queueAs(admin);
    const parent = await sender.send('f-q', 'p', { maxAttempts: 1 });
    const { flowId, ids } = await sender.flow([
      { ref: 'a', queue: 'f-q', payload: null, dependsOn: [{ id: parent.id }] },
      { ref: 'b', queue: 'f-q', payload: null, dependsOn: ['a'] },
    ]);
    expect(await sender.flows.get(flowId)).toMatchObject({ counts: { waiting: 2 } });
    const claim = async () => {
      const [job] = await worker.claim('f-q', { batchSize: 1 });
      if (job === undefined) throw new Error('nothing claimed');
      return job;
    };
    await worker.fail(await claim(), new Error('boom'));
    expect((await worker.getJob(ids.a as string))?.state).toBe('cancelled');
    expect(await operator.redrive('f-q', { ids: [parent.id] })).toEqual([parent.id]);
    expect((await worker.getJob(ids.a as string))?.state).toBe('waiting');
    await worker.complete(await claim(), null);
    await worker.complete(await claim(), null);
    expect((await worker.getJob(ids.b as string))?.state).toBe('pending');
    expect(await worker.flows.cancel(flowId)).toBe(1);
    expect(await operator.prune({ olderThanMs: 0, queue: 'f-q' })).toMatchObject({ deleted: 3 });
    expectRefusal(await sender.flows.cancel(flowId).catch((e: unknown) => e), producer, [
      'consume',
      'admin',
    ]);
    expect(await can(producer, 'UPDATE', 'pgpulse.job_deps')).toBe(false);
    expect(await can(consumer, 'UPDATE', 'pgpulse.job_deps')).toBe(false);
  });

  test('groups, explain and the worker registry: each set does its part, and only it', async () => {
    const settings = queueAs(admin);
    await settings.queues.create('g-q', {
      groups: { concurrencyLimit: 1, rateLimit: { count: 50, periodMs: 1000 } },
    });
    await settings.groups.set('g-q', 'big', { concurrencyLimit: 2 });
    expect(await settings.groups.list('g-q')).toHaveLength(1);
    const sent = await queueAs(producer).sendBatch('g-q', [
      { payload: 1, tenant: 'big' },
      { payload: 2, tenant: 'big' },
      { payload: 3, tenant: 'big' },
      { payload: 4, tenant: 'small' },
    ]);
    const claimer = queueAs(consumer);
    const claimed = await claimer.claim('g-q', { batchSize: 4 });
    expect(claimed).toHaveLength(3);
    const waiting = queueAs(producer);
    expect((await waiting.explain(sent[2]?.id as string)).reason.code).toBe('group-concurrency');
    await claimer.complete(claimed[0] as never);
    const worker = claimer.work('g-reg', async () => undefined);
    await worker.ready;
    expect((await waiting.workers.list()).map((w) => w.queues)).toContainEqual(['g-reg']);
    await worker.stop();
    expect(await waiting.workers.list()).toEqual([]);
    expectRefusal(
      await queueAs(consumer)
        .groups.set('g-q', 'x', { concurrencyLimit: 1 })
        .catch((e: unknown) => e),
      consumer,
      ['admin'],
    );
    expect(await can(consumer, 'UPDATE', 'pgpulse.job_groups')).toBe(false);
    expect(await can(producer, 'INSERT', 'pgpulse.workers')).toBe(false);
  });

  test('no grant: every call says which role and how to grant it, never "not installed"', async () => {
    const queue = queueAs(nobody);
    for (const call of [() => queue.send('n', {}), () => queue.stats('n')]) {
      const error = await call().catch((e: unknown) => e);
      expectRefusal(error, nobody, ['produce', 'consume', 'admin']);
      expect((error as Error).message).toMatch(/permission denied for schema pgpulse/);
    }
  });
});

describe('grant()', () => {
  test('by a role that does not own the schema grants nothing and says so', async () => {
    for (const grantor of [both, nobody]) {
      const error = await grant(grantor.url, nobody.name, { admin: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermissionError);
      expect(error).toMatchObject({ role: grantor.name, operation: 'grant', grants: [] });
      expect((error as Error).message).toMatch(/as the role that owns the schema/);
    }
    expect(await can(nobody, 'SELECT', 'pgpulse.jobs')).toBe(false);
  });

  test('to a role that does not exist is a ValidationError', async () => {
    const error = await grant(owner.url, `${owner.name}_missing`, { produce: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'role' });
  });

  test('quotes a hostile role name: it is granted, and nothing else runs', async () => {
    await sql.query('CREATE TABLE IF NOT EXISTS public.victim (id int)');
    const hostile = await roles.create(`x"; DROP TABLE public.victim; --`);
    const statements = grantStatements(hostile.name, { produce: true });
    for (const statement of statements) {
      expect(statement.endsWith(`TO ${quoteRole(hostile.name)}`)).toBe(true);
    }
    await grant(owner.url, hostile.name, { produce: true });
    await grant(owner.url, hostile.name, { produce: true }); // again: harmless
    const { id } = await queueAs(hostile).send('hostile', {});
    expect(await queueAs(hostile).getJob(id)).toMatchObject({ queue: 'hostile' });
    const { rows } = await sql.query("SELECT to_regclass('public.victim') IS NOT NULL AS alive");
    expect(rows[0].alive).toBe(true);
  });
});
