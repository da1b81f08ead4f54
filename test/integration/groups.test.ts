import { describe, expect, test } from 'vitest';
import { type ClaimedJob, ValidationError } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue({ listen: false });

const byGroup = (jobs: ClaimedJob[]) => {
  const counts: Record<string, number> = {};
  for (const job of jobs) counts[job.tenant ?? ''] = (counts[job.tenant ?? ''] ?? 0) + 1;
  return counts;
};

const send = (name: string, tenant: string, count: number) =>
  queue.sendBatch(
    name,
    Array.from({ length: count }, (_, i) => ({ payload: { tenant, i }, tenant })),
  );

describe('a group concurrency limit', () => {
  test('caps each group, with overrides for some keys, and frees slots as jobs finish', async () => {
    await queue.queues.create('capped', { groups: { concurrencyLimit: 2 } });
    await send('capped', 'a', 10);
    await send('capped', 'b', 10);
    await queue.send('capped', { none: true });
    const first = await queue.claim('capped', { batchSize: 100 });
    expect(byGroup(first)).toEqual({ a: 2, b: 2, '': 1 });
    expect(await queue.claim('capped', { batchSize: 100 })).toEqual([]);

    const big = await queue.groups.set('capped', 'b', { concurrencyLimit: 5 });
    expect(big).toMatchObject({ concurrencyLimit: 5, override: { concurrencyLimit: 5 } });
    expect(big.running).toHaveLength(2);
    expect(byGroup(await queue.claim('capped', { batchSize: 100 }))).toEqual({ b: 3 });

    const a = first.find((job) => job.tenant === 'a') as ClaimedJob;
    await queue.complete(a);
    expect(byGroup(await queue.claim('capped', { batchSize: 100 }))).toEqual({ a: 1 });

    await queue.groups.remove('capped', 'b');
    expect((await queue.groups.get('capped', 'b')).concurrencyLimit).toBe(2);
    await expect(queue.groups.remove('capped', 'b')).rejects.toBeInstanceOf(ValidationError);
    expect(await queue.groups.list('capped')).toEqual([]);

    // Deleting the queue deletes its groups' overrides and buckets.
    await queue.groups.set('capped', 'c', { concurrencyLimit: 1 });
    await queue.queues.delete('capped', { force: true });
    const { rows } = await sql.query("SELECT 1 FROM pgpulse.job_groups WHERE queue = 'capped'");
    expect(rows).toEqual([]);
  });

  test('a claim scoped to one group keeps to its cap', async () => {
    await queue.queues.create('scoped', { groups: { concurrencyLimit: 3 } });
    await send('scoped', 'x', 10);
    await send('scoped', 'y', 10);
    expect(byGroup(await queue.claim('scoped', { batchSize: 10, tenant: 'x' }))).toEqual({ x: 3 });
    expect(await queue.claim('scoped', { batchSize: 10, tenant: 'x' })).toEqual([]);
  });

  test('composes with the queue-wide cap', async () => {
    await queue.queues.create('both', { concurrencyLimit: 3, groups: { concurrencyLimit: 2 } });
    await send('both', 'a', 5);
    await send('both', 'b', 5);
    expect(await queue.claim('both', { batchSize: 10 })).toHaveLength(3);
  });
});

describe('strict FIFO per group', () => {
  test('one job at a time, in order of sending; a retried job keeps its place', async () => {
    await queue.queues.create('fifo', {
      groups: { fifo: true },
      backoff: { type: 'fixed', delayMs: 3_600_000 },
    });
    // Sent in one batch and one by one: the order of sending is the order of starting.
    const ids = (await send('fifo', 'g', 3)).map((r) => r.id);
    ids.push((await queue.send('fifo', { late: true }, { tenant: 'g', priority: -5 })).id);
    await send('fifo', 'h', 2);

    const [g1, h1, ...rest] = await queue.claim('fifo', { batchSize: 10 });
    expect(rest).toEqual([]);
    expect([g1?.id, h1?.tenant]).toEqual([ids[0], 'h']);
    expect(await queue.claim('fifo', { batchSize: 10 })).toEqual([]);

    // A failure retried later blocks the group until it ran again.
    await queue.fail(g1 as ClaimedJob, new Error('boom'));
    expect((await queue.claim('fifo', { batchSize: 10, tenant: 'g' })).map((j) => j.id)).toEqual(
      [],
    );
    await sql.query('UPDATE pgpulse.jobs SET run_at = now() WHERE id = $1', [ids[0]]);
    const again = await queue.claim('fifo', { batchSize: 10, tenant: 'g' });
    expect(again.map((j) => j.id)).toEqual([ids[0]]);
    await queue.complete(again[0] as ClaimedJob);
    const order: string[] = [];
    for (;;) {
      const [next] = await queue.claim('fifo', { batchSize: 10, tenant: 'g' });
      if (next === undefined) break;
      order.push(next.id);
      await queue.complete(next);
    }
    expect(order).toEqual(ids.slice(1));
  });
});

describe('a group rate limit', () => {
  test('each group starts at most `count` jobs per period', async () => {
    await queue.queues.create('rated', {
      groups: { rateLimit: { count: 2, periodMs: 3_600_000 } },
    });
    await send('rated', 'a', 5);
    await send('rated', 'b', 5);
    const jobs = await queue.claim('rated', { batchSize: 100 });
    expect(byGroup(jobs)).toEqual({ a: 2, b: 2 });
    for (const job of jobs) await queue.complete(job);
    expect(await queue.claim('rated', { batchSize: 100 })).toEqual([]);
    await queue.groups.set('rated', 'a', { rateLimit: { count: 10, periodMs: 1000 } });
    expect(byGroup(await queue.claim('rated', { batchSize: 100 }))).toEqual({ a: 3 });
  });
});

describe('bad input writes nothing', () => {
  test.each([
    [{ concurrencyLimit: 0 }],
    [{ concurrencyLimit: -1 }],
    [{ concurrencyLimit: 10_000_001 }],
    [{ concurrencyLimit: 1.5 }],
    [{ rateLimit: { count: 1 } }],
    [{ rateLimit: { count: 1, periodMs: 0 } }],
    [{ fifo: 'yes' }],
    [{ other: 1 }],
  ])('queue group settings %j', async (groups) => {
    await expect(queue.queues.create('refused', { groups } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    const { rows } = await sql.query("SELECT 1 FROM pgpulse.queues WHERE name = 'refused'");
    expect(rows).toEqual([]);
  });

  test.each([
    ['refused', 'k', {}],
    ['refused', 'k', { concurrencyLimit: 0 }],
    ['refused', 'k', { fifo: true }],
    ['refused', '', { concurrencyLimit: 1 }],
    ['refused', 'a\u0000b', { concurrencyLimit: 1 }],
    ['refused', '\ud800', { concurrencyLimit: 1 }],
    ['refused', 'x'.repeat(257), { concurrencyLimit: 1 }],
    ['bad queue!', 'k', { concurrencyLimit: 1 }],
  ])('group override %s %j %j', async (name, key, override) => {
    await expect(queue.groups.set(name, key, override as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    const touched = await sql.query("SELECT 1 FROM pgpulse.job_groups WHERE queue = 'refused'");
    expect(touched.rows).toEqual([]);
  });
});
