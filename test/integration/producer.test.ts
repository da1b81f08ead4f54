import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { ErrorCode, Queue, QueueClosedError, ValidationError } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url, max: 20 });
const queue = new Queue({ connectionString: db.url, poolSize: 20 });
afterAll(async () => {
  await queue.close();
  await sql.end();
  await db.drop();
});

async function jobCount(): Promise<number> {
  const { rows } = await sql.query('SELECT count(*)::int AS n FROM pgpulse.all_jobs');
  return rows[0].n;
}

describe('send', () => {
  test('stores the payload and every option', async () => {
    const runAt = new Date(Date.now() + 3_600_000);
    const { id, duplicate } = await queue.send(
      'emails',
      { to: 'ada@example.com', tags: ['a', 'b'] },
      {
        name: 'welcome',
        runAt,
        priority: -3,
        maxAttempts: 7,
        backoff: { type: 'fixed', delayMs: 250 },
        idempotencyKey: 'welcome:ada',
        tenant: 'acme',
      },
    );
    expect(duplicate).toBe(false);
    const job = await queue.getJob(id);
    expect(job).toMatchObject({
      id,
      queue: 'emails',
      name: 'welcome',
      payload: { to: 'ada@example.com', tags: ['a', 'b'] },
      state: 'pending',
      priority: -3,
      runAt,
      attempts: 0,
      maxAttempts: 7,
      backoff: { type: 'fixed', delayMs: 250, jitter: 0 },
      idempotencyKey: 'welcome:ada',
      tenant: 'acme',
      result: null,
      lastError: null,
      errors: [],
      leaseToken: null,
      archived: false,
    });
  });

  test('defaults: due now, priority 0, the queue’s maxAttempts, no backoff of its own', async () => {
    const { id } = await queue.send('emails', null);
    const job = await queue.getJob(id);
    expect(job).toMatchObject({
      name: 'default',
      payload: null,
      priority: 0,
      maxAttempts: 5,
      backoff: null,
    });
    expect(job?.runAt.getTime()).toBe(job?.createdAt.getTime());
  });

  test('delayMs is counted on the database clock from the insert', async () => {
    const { id } = await queue.send('emails', {}, { delayMs: 90_000 });
    const { rows } = await sql.query(
      'SELECT extract(epoch FROM run_at - created_at) * 1000 AS ms FROM pgpulse.all_jobs WHERE id = $1',
      [id],
    );
    expect(Number(rows[0].ms)).toBe(90_000);
  });

  test('payloads of every JSON type round-trip', async () => {
    for (const payload of [null, 0, 'text', [1, 'two'], { nested: { deep: [true, null] } }, '🚀']) {
      const { id } = await queue.send('types', payload);
      expect((await queue.getJob(id))?.payload).toEqual(payload);
    }
  });
});

describe('sendBatch', () => {
  test('returns ids in input order and stores per-item options', async () => {
    const results = await queue.sendBatch('batch', [
      { payload: { n: 0 }, priority: 5 },
      { payload: { n: 1 }, delayMs: 1000 },
      { payload: { n: 2 }, tenant: 't2' },
    ]);
    const jobs = await Promise.all(results.map((r) => queue.getJob(r.id)));
    expect(jobs.map((job) => job?.payload)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(jobs.map((job) => [job?.priority, job?.tenant])).toEqual([
      [5, null],
      [0, null],
      [0, 't2'],
    ]);
  });

  test('an empty batch sends nothing', async () => {
    expect(await queue.sendBatch('batch', [])).toEqual([]);
  });
});

describe('idempotency keys', () => {
  test('a duplicate returns the existing job and says so; nothing is added', async () => {
    const first = await queue.send('orders', { v: 1 }, { idempotencyKey: 'order-1' });
    const before = await jobCount();
    const second = await queue.send('orders', { v: 2 }, { idempotencyKey: 'order-1' });
    expect(second).toEqual({ id: first.id, duplicate: true, replaced: false });
    expect(await jobCount()).toBe(before);
    expect((await queue.getJob(first.id))?.payload).toEqual({ v: 1 });
  });

  test('keys are per queue', async () => {
    const a = await queue.send('orders-a', {}, { idempotencyKey: 'same' });
    const b = await queue.send('orders-b', {}, { idempotencyKey: 'same' });
    expect(a.id).not.toBe(b.id);
    expect(b.duplicate).toBe(false);
  });

  test('a finished job frees its key', async () => {
    const first = await queue.send('freed', {}, { idempotencyKey: 'order-2' });
    const [job] = await queue.claim('freed');
    if (job?.id !== first.id) throw new Error('claimed the wrong job');
    await queue.complete(job);
    const second = await queue.send('freed', {}, { idempotencyKey: 'order-2' });
    expect(second.duplicate).toBe(false);
    expect(second.id).not.toBe(first.id);
  });

  test('a running job still holds its key', async () => {
    const first = await queue.send('held', {}, { idempotencyKey: 'k' });
    await queue.claim('held');
    expect(await queue.send('held', {}, { idempotencyKey: 'k' })).toEqual({
      id: first.id,
      duplicate: true,
      replaced: false,
    });
  });

  test('repeats of a key inside one batch become one job', async () => {
    const results = await queue.sendBatch('orders', [
      { payload: 1, idempotencyKey: 'batch-key' },
      { payload: 2 },
      { payload: 3, idempotencyKey: 'batch-key' },
    ]);
    expect(results[0]?.duplicate).toBe(false);
    expect(results[2]).toEqual({ id: results[0]?.id, duplicate: true, replaced: false });
    expect(results[1]?.duplicate).toBe(false);
  });

  test('16 concurrent sends of one key from separate connections: one job, every caller gets its id', async () => {
    const queues = Array.from(
      { length: 16 },
      () => new Queue({ connectionString: db.url, poolSize: 1 }),
    );
    try {
      const results = await Promise.all(
        queues.map((q, i) => q.send('race', { i }, { idempotencyKey: 'contended' })),
      );
      const ids = new Set(results.map((r) => r.id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const { rows } = await sql.query(
        `SELECT count(*)::int AS n FROM pgpulse.all_jobs WHERE queue = 'race' AND idempotency_key = 'contended'`,
      );
      expect(rows[0].n).toBe(1);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});

describe("enqueue in the caller's transaction", () => {
  test('the job exists only if the transaction commits', async () => {
    const client = await sql.connect();
    try {
      await client.query('BEGIN');
      const kept = await queue.send('tx', {}, { client });
      const batch = await queue.sendBatch('tx', [{ payload: 1 }, { payload: 2 }], { client });
      await client.query('COMMIT');
      await client.query('BEGIN');
      const dropped = await queue.send('tx', {}, { client });
      await client.query('ROLLBACK');
      expect((await queue.getJob(kept.id))?.state).toBe('pending');
      expect(await queue.getJob(batch[1]?.id ?? '')).not.toBeNull();
      expect(await queue.getJob(dropped.id)).toBeNull();
    } finally {
      client.release();
    }
  });
});

describe('bad input is refused with a typed error and writes nothing', () => {
  const hostileQueues: unknown[] = [
    "emails'; DROP TABLE pgpulse.jobs; --",
    'emails; DELETE FROM pgpulse.all_jobs',
    '',
    ' ',
    'a'.repeat(129),
    '../etc/passwd',
    'new\nline',
    'tab\tqueue',
    'nul\u0000byte',
    'ünïcode',
    '-leading-dash',
    null,
    undefined,
    42,
    { queue: 'x' },
  ];

  test.each(hostileQueues)('queue name %j', async (name) => {
    const before = await jobCount();
    const error = await queue.send(name as string, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(ErrorCode.validation);
    expect((error as ValidationError).field).toBe('queue');
    await expect(queue.sendBatch(name as string, [{ payload: 1 }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(queue.claim(name as string)).rejects.toBeInstanceOf(ValidationError);
    expect(await jobCount()).toBe(before);
  });

  const badPayloads: [string, unknown][] = [
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
    ['a bigint', 10n],
    ['NaN', Number.NaN],
    ['a Date', new Date()],
    ['a Map', new Map([[1, 2]])],
    ['a Buffer', Buffer.from('x')],
    ['a string with NUL', 'a\u0000b'],
    ['a huge payload', 'x'.repeat(1024 * 1024 + 1)],
  ];

  test.each(badPayloads)('payload: %s', async (_what, payload) => {
    const before = await jobCount();
    const error = await queue.send('emails', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toMatch(/^payload/);
    expect(await jobCount()).toBe(before);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a negative delay', { delayMs: -1 }, 'delayMs'],
    ['a fractional delay', { delayMs: 0.5 }, 'delayMs'],
    ['a delay as a string', { delayMs: '1000' }, 'delayMs'],
    ['both runAt and delayMs', { runAt: new Date(), delayMs: 1 }, 'delayMs'],
    ['an invalid date', { runAt: new Date(Number.NaN) }, 'runAt'],
    ['a priority out of range', { priority: 1e6 }, 'priority'],
    ['zero attempts', { maxAttempts: 0 }, 'maxAttempts'],
    ['a bad backoff', { backoff: { type: 'fixed', delayMs: -5 } }, 'backoff.delayMs'],
    ['an empty key', { idempotencyKey: '' }, 'idempotencyKey'],
    ['a misspelt option', { delay: 5 }, 'options'],
    ['a client that is not one', { client: {} }, 'client'],
  ])('options: %s', async (_what, options, field) => {
    const before = await jobCount();
    const error = await queue.send('emails', {}, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(await jobCount()).toBe(before);
  });

  test('one bad item refuses the whole batch, naming it', async () => {
    const before = await jobCount();
    const items = [{ payload: 1 }, { payload: 2 }, { payload: 3, delayMs: -10 }];
    const error = await queue.sendBatch('emails', items).catch((e: unknown) => e);
    expect((error as ValidationError).field).toBe('items[2].delayMs');
    await expect(queue.sendBatch('emails', [{ payload: 1 }, {} as never])).rejects.toMatchObject({
      field: 'items[1].payload',
    });
    await expect(queue.sendBatch('emails', 'nope' as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await jobCount()).toBe(before);
  });

  test('a closed queue refuses every call', async () => {
    const closing = new Queue({ connectionString: db.url });
    await closing.send('emails', {});
    await closing.close();
    await closing.close(); // memoised
    const before = await jobCount();
    await expect(closing.send('emails', {})).rejects.toBeInstanceOf(QueueClosedError);
    await expect(closing.claim('emails')).rejects.toBeInstanceOf(QueueClosedError);
    await expect(closing.stats()).rejects.toBeInstanceOf(QueueClosedError);
    expect(await jobCount()).toBe(before);
  });
});
