import { describe, expect, test } from 'vitest';
import { ConfigurationError, type Job, ValidationError } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

// Every bad input is a ValidationError naming the field, raised before anything is sent: the
// jobs (and queues) tables are unchanged. What PostgreSQL cannot store is refused, never altered.

const { db, sql, queue } = await useTestQueue({ listen: false });

async function count(table: 'jobs' | 'queues'): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pgpulse.${table}`);
  return rows[0].n;
}

/** The ValidationError `run` rejects with, after checking that it wrote nothing. */
async function refusal(run: () => Promise<unknown>): Promise<ValidationError> {
  const [jobs, queues] = [await count('jobs'), await count('queues')];
  const error = await run().then(
    () => new Error('expected a ValidationError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(await count('jobs')).toBe(jobs);
  expect(await count('queues')).toBe(queues);
  return error as ValidationError;
}

function nested(levels: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const badPayloads: [string, unknown, string][] = [
  ['10,000 nested arrays', nested(10_000, 'array'), 'payload'],
  ['100,000 nested objects', nested(100_000, 'object'), 'payload'],
  ['101 nested arrays', nested(101, 'array'), 'payload'],
  ['a lone low surrogate', { a: { b: '\uDC00t' } }, 'payload.a.b'],
  ['a lone high surrogate', ['ok', 'x\uD800'], 'payload[1]'],
  ['NUL in a string', { note: 'a\u0000b' }, 'payload.note'],
  ['NUL in a key', { deep: [{ 'k\u0000': 1 }] }, 'payload.deep[0]["k\\u0000"]'],
  ['a lone surrogate in a key', { '\uD800': true }, 'payload["\\ud800"]'],
  ['a BigInt', { n: 1n }, 'payload.n'],
  ['a function', [() => 1], 'payload[0]'],
  ['a symbol', { s: Symbol('s') }, 'payload.s'],
  ['undefined in an array', [1, undefined], 'payload[1]'],
  ['a Map', { m: new Map() }, 'payload.m'],
  ['a class instance with toJSON', { at: new Date() }, 'payload.at'],
  ['a payload over maxPayloadBytes', { text: 'x'.repeat(1024 * 1024) }, 'payload'],
];

const badOptions: [string, Record<string, unknown>, string][] = [
  ['a tenant with a lone surrogate', { tenant: '\uDC00t' }, 'tenant'],
  ['a tenant with NUL', { tenant: 'a\u0000' }, 'tenant'],
  ['a key with a lone surrogate', { idempotencyKey: 'k\uD800' }, 'idempotencyKey'],
  ['a key with NUL', { idempotencyKey: '\u0000' }, 'idempotencyKey'],
  ['a name with NUL', { name: 'welcome\u0000' }, 'name'],
  ['a name with a lone surrogate', { name: '\uDC00' }, 'name'],
  ['the largest Date', { runAt: new Date(8.64e15) }, 'runAt'],
  ['the smallest Date', { runAt: new Date(-8.64e15) }, 'runAt'],
  ['year 0', { runAt: new Date('0000-01-01T00:00:00.000Z') }, 'runAt'],
  ['year 10000', { runAt: new Date('+010000-01-01T00:00:00.000Z') }, 'runAt'],
  ['an invalid Date', { runAt: new Date('soon') }, 'runAt'],
  ['a NaN delay', { delayMs: Number.NaN }, 'delayMs'],
  ['an infinite delay', { delayMs: Number.POSITIVE_INFINITY }, 'delayMs'],
  ['a negative delay', { delayMs: -1 }, 'delayMs'],
  ['a delay over 30 days', { delayMs: 30 * 86_400_000 + 1 }, 'delayMs'],
];

describe('send', () => {
  test.each(badPayloads)('refuses %s', async (_what, payload, field) => {
    expect((await refusal(() => queue.send('refused', payload))).field).toBe(field);
  });

  test.each(badOptions)('refuses %s', async (_what, options, field) => {
    expect((await refusal(() => queue.send('refused', {}, options))).field).toBe(field);
  });

  test('the depth error names the limit', async () => {
    const error = await refusal(() => queue.send('refused', nested(100_000, 'array')));
    expect(error.message).toContain('nested at most 100 levels');
  });

  test('the queue name is checked too', async () => {
    for (const name of ['q\u0000', 'q\uD800', '\uDC00q']) {
      expect((await refusal(() => queue.send(name, {}))).field).toBe('queue');
    }
  });
});

describe('sendBatch: one bad item refuses the whole batch', () => {
  const items = (bad: Record<string, unknown>) => [
    { payload: 1 },
    { payload: 2, tenant: 'acme' },
    { payload: 3, ...bad },
  ];

  test.each(badPayloads)('refuses %s', async (_what, payload, field) => {
    const error = await refusal(() => queue.sendBatch('refused', items({ payload })));
    expect(error.field).toBe(`items[2].${field}`);
  });

  test.each(badOptions)('refuses %s', async (_what, options, field) => {
    const error = await refusal(() => queue.sendBatch('refused', items(options)));
    expect(error.field).toBe(`items[2].${field}`);
  });
});

describe('what is accepted is stored exactly', () => {
  test('dates from year 1 to 9999; a past date is due at once', async () => {
    for (const iso of [
      '0001-01-01T00:00:00.000Z',
      '1900-02-28T12:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      const { id } = await queue.send('accepted', {}, { runAt: new Date(iso) });
      expect((await queue.getJob(id))?.runAt.toISOString()).toBe(iso);
    }
    const [due] = await queue.claim('accepted', { batchSize: 10 });
    expect(due).toBeDefined();
  });

  test('text beyond ASCII, emoji, and nesting up to the limit', async () => {
    const payload = { 'ключ 🔑': ['Grüße', '日本語', '🚀'], deep: nested(99, 'object') };
    const { id } = await queue.send('accepted', payload, {
      tenant: 'Grüße 🚀',
      idempotencyKey: 'ключ-🔑',
    });
    expect(await queue.getJob(id)).toMatchObject({
      payload,
      tenant: 'Grüße 🚀',
      idempotencyKey: 'ключ-🔑',
    });
  });
});

describe('other calls that take free text', () => {
  test('listJobs and claim refuse a tenant PostgreSQL cannot store', async () => {
    for (const tenant of ['\uDC00t', 'a\u0000']) {
      expect((await refusal(() => queue.listJobs('refused', { tenant }))).field).toBe('tenant');
      expect((await refusal(() => queue.claim('refused', { tenant }))).field).toBe('tenant');
      expect((await refusal(() => queue.claim('refused', { workerId: `w${tenant}` }))).field).toBe(
        'workerId',
      );
    }
  });

  test('a worker refuses such a tenant or worker id when it is built', () => {
    expect(() => queue.work('refused', async () => undefined, { tenant: '\uD800' })).toThrow(
      ConfigurationError,
    );
    expect(() => queue.work('refused', async () => undefined, { workerId: 'w\u0000' })).toThrow(
      ConfigurationError,
    );
  });

  test('queue admin refuses such names and bad settings', async () => {
    for (const name of ['q\u0000', 'q\uD800']) {
      for (const call of [
        () => queue.queues.upsert(name),
        () => queue.queues.update(name, { leaseMs: 1000 }),
        () => queue.queues.pause(name),
        () => queue.queues.purge(name),
        () => queue.queues.delete(name),
      ]) {
        expect((await refusal(call)).field).toBe('queue');
      }
    }
    for (const [settings, field] of [
      [{ leaseMs: Number.NaN }, 'leaseMs'],
      [{ concurrencyLimit: Number.POSITIVE_INFINITY }, 'concurrencyLimit'],
      [{ rateLimit: { count: 1, periodMs: -1 } }, 'rateLimit.periodMs'],
      [{ retention: { completedMs: 1.5 } }, 'retention.completedMs'],
      [{ backoff: { type: 'fixed', delayMs: Number.NaN } }, 'backoff.delayMs'],
    ] as const) {
      expect((await refusal(() => queue.queues.upsert('admin', settings as never))).field).toBe(
        field,
      );
    }
  });
});

describe('what a handler reports', () => {
  test('a result nested too deep is refused like any non-JSON result; the job stays settle-able', async () => {
    const { id } = await queue.send('results', {});
    const [job] = await queue.claim('results');
    if (job === undefined) throw new Error('no job claimed');
    for (const result of [nested(100_000, 'array'), { s: '\uDC00' }]) {
      const error = await queue.complete(job, result).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toMatch(/^result/);
      expect((await queue.getJob(id))?.state).toBe('running');
    }
    const [outcome] = await queue.completeMany([{ job, result: nested(1000, 'object') }]);
    expect(outcome?.ok === false && outcome.error.code).toBe('PGPULSE_VALIDATION');
    await queue.complete(job, { ok: true });
    expect(await queue.getJob(id)).toMatchObject({ state: 'completed', result: { ok: true } });
  });

  test('a worker whose handler returns too deep a result kills the job with the reason', async () => {
    const worker = queue.work('deep-result', async () => nested(10_000, 'array'));
    try {
      const { id } = await queue.send('deep-result', {});
      await waitFor(async () => (await queue.getJob(id))?.state === 'dead', 'the job to die');
      expect((await queue.getJob(id))?.lastError).toMatchObject({
        name: 'ValidationError',
        code: 'PGPULSE_VALIDATION',
      });
    } finally {
      await worker.stop();
    }
  });

  test('progress is checked like a result; log text is made storable', async () => {
    const progressed = deferred<unknown[]>();
    const worker = queue.work('reports', async (job) => {
      const errors: unknown[] = [];
      for (const value of [nested(100_000, 'object'), { '\u0000': 1 }]) {
        await job.progress(value).catch((e: unknown) => errors.push(e));
      }
      await job.log('lone \uD800 and nul \u0000 here');
      await job.log(`${'x'.repeat(3999)}🚀`); // the 4,000-character cut splits the pair
      progressed.resolve(errors);
    });
    try {
      const { id } = await queue.send('reports', {});
      const errors = await progressed.promise;
      expect(errors.map((e) => (e as ValidationError).field)).toEqual([
        'progress',
        'progress["\\u0000"]',
      ]);
      await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 'completion');
      const logs = (await queue.getJob(id))?.logs.map((entry) => entry.message);
      expect(logs).toEqual(['lone \uFFFD and nul \uFFFD here', `${'x'.repeat(3999)}\uFFFD`]);
    } finally {
      await worker.stop();
    }
  });

  test('an error message PostgreSQL cannot store is made storable, and the failure recorded', async () => {
    const worker = queue.work('throws', async () => {
      const error = new Error('bad \uDC00 byte \u0000 here');
      error.name = 'Odd\uD800Error';
      throw error;
    });
    try {
      const { id } = await queue.send('throws', {}, { maxAttempts: 1 });
      await waitFor(async () => (await queue.getJob(id))?.state === 'dead', 'the job to die');
      expect((await queue.getJob(id))?.lastError).toMatchObject({
        name: 'Odd\uFFFDError',
        message: 'bad \uFFFD byte \uFFFD here',
      });
    } finally {
      await worker.stop();
    }
  });

  test('fail() records such a message too, and anything thrown at all', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await queue.send('fails', {}, { maxAttempts: 1 })).id);
    const jobs = await queue.claim('fails', { batchSize: 2 });
    const [first, second] = jobs;
    if (first === undefined || second === undefined) throw new Error('claim');
    await queue.fail(first, new Error('\u0000'));
    await queue.fail(second, nested(100_000, 'array'));
    const stored = (await Promise.all(ids.map((id) => queue.getJob(id)))) as Job[];
    const byId = new Map(stored.map((job) => [job.id, job]));
    expect(byId.get(first.id)?.lastError?.message).toBe('\uFFFD');
    expect(byId.get(second.id)).toMatchObject({
      state: 'dead',
      lastError: { name: 'NonError', message: '[object Array]' },
    });
  });
});

describe('the command line', () => {
  const env = { DATABASE_URL: db.url };

  test.each<[string, string[], RegExp]>([
    ['a lone surrogate in the payload', ['{"a":"\\ud800"}'], /payload\.a/],
    ['NUL in the payload', ['{"a":"\\u0000"}'], /payload\.a/],
    ['a year-0 date', ['{}', '--run-at', '0000-01-01T00:00:00Z'], /runAt/],
    ['too deep a payload', [`${'['.repeat(5000)}${']'.repeat(5000)}`], /nested at most 100/],
  ])('job send refuses %s in one line, exit 2 (usage)', async (_what, args, message) => {
    const before = await count('jobs');
    const run = await runCli(['job', 'send', 'cli', ...args], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await count('jobs')).toBe(before);
  });
});
