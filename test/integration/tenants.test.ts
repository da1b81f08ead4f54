import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue();

describe('a worker scoped to a tenant', () => {
  test("work() runs only its tenant's jobs", async () => {
    await queue.sendBatch('scoped', [
      { payload: 'a1', tenant: 'a' },
      { payload: 'b1', tenant: 'b' },
      { payload: 'none' },
      { payload: 'a2', tenant: 'a' },
    ]);
    const seen: unknown[] = [];
    const worker = queue.work('scoped', async (job) => seen.push([job.payload, job.tenant]), {
      tenant: 'a',
    });
    try {
      await waitFor(async () => (await queue.stats('scoped')).counts.completed === 2, 'a done');
      await worker.stop();
      expect(seen.sort()).toEqual([
        ['a1', 'a'],
        ['a2', 'a'],
      ]);
      expect((await queue.stats('scoped')).counts.pending).toBe(2);
    } finally {
      await worker.stop();
    }
  });

  test("observe() delivers only its tenant's jobs", async () => {
    await queue.sendBatch('scoped-observe', [
      { payload: 1, tenant: 'x' },
      { payload: 2, tenant: 'y' },
      { payload: 3, tenant: 'x' },
    ]);
    const jobs = await firstValueFrom(
      queue.observe('scoped-observe', { tenant: 'y' }).pipe(take(1), toArray()),
    );
    expect(jobs.map((job) => [job.payload, job.tenant])).toEqual([[2, 'y']]);
    await jobs[0]?.ack();
  });
});

describe('fair claims across tenants', () => {
  test("one tenant's 100,000 pending jobs delay another tenant's single job by a claim at most", async () => {
    await queue.queues.upsert('fair', { fairTenants: true });
    for (let i = 0; i < 100_000; i += 10_000) {
      await queue.sendBatch(
        'fair',
        Array.from({ length: 10_000 }, (_, k) => ({ payload: i + k, tenant: 'big' })),
      );
    }
    const small = await queue.send('fair', 'mine', { tenant: 'small' });
    const started = deferred();
    const concurrency = 4;
    const worker = queue.work(
      'fair',
      async (job) => {
        if (job.id === small.id) started.resolve();
      },
      { concurrency },
    );
    try {
      await started.promise;
    } finally {
      await worker.stop({ graceMs: 0 });
    }
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM pgpulse.all_jobs
       WHERE queue = 'fair' AND tenant = 'big' AND started_at IS NOT NULL
         AND started_at < (SELECT started_at FROM pgpulse.all_jobs WHERE id = $1)`,
      [small.id],
    );
    // The first claim takes one job of each tenant (and more of the big one to fill the batch).
    expect(rows[0].n).toBeLessThan(concurrency);
  });

  test('tenants take turns claim after claim', async () => {
    await queue.queues.upsert('turns', { fairTenants: true });
    await queue.sendBatch('turns', [
      ...Array.from({ length: 6 }, (_, i) => ({ payload: `a${i}`, tenant: 'a' })),
      ...Array.from({ length: 6 }, (_, i) => ({ payload: `b${i}`, tenant: 'b' })),
      ...Array.from({ length: 6 }, (_, i) => ({ payload: `c${i}`, tenant: 'c' })),
    ]);
    const worker = queue.observe<string>('turns', { prefetch: 1 });
    // One job per claim: the tenants must rotate a, b, c, a, b, c...
    const jobs = await new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const subscription = worker.subscribe((job) => {
        seen.push(job.tenant ?? '?');
        void job.ack();
        if (seen.length === 9) {
          subscription.unsubscribe();
          resolve(seen);
        }
      });
    });
    expect(jobs).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('a job inserted without a tenant by plain SQL is claimed, and reads as having none', async () => {
    await queue.queues.upsert('fair-sql', { fairTenants: true });
    await sql.query(`INSERT INTO pgpulse.jobs (queue, payload) VALUES ('fair-sql', '"raw"')`);
    await queue.send('fair-sql', 'sent');
    const claimed = await queue.claim('fair-sql', { batchSize: 5 });
    expect(claimed.map((job) => [job.payload, job.tenant]).sort()).toEqual([
      ['raw', null],
      ['sent', null],
    ]);
  });

  test('turning fairness on files pending jobs without a tenant so that they are still claimed', async () => {
    await queue.sendBatch('fair-later', [{ payload: 1 }, { payload: 2, tenant: 't' }]);
    await queue.queues.upsert('fair-later', { fairTenants: true });
    const claimed = await queue.claim('fair-later', { batchSize: 5 });
    expect(claimed.map((job) => job.payload).sort()).toEqual([1, 2]);
  });
});
