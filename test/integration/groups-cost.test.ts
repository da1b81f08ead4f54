import { beforeAll, describe, expect, test } from 'vitest';
import { queriesFor } from '../../src/db/queries.js';
import { useTestQueue } from '../helpers/database.js';

const { sql, queue } = await useTestQueue({ listen: false });

const GROUPS = 100_000;
const HOT = 100_000;

/** Inserts jobs as pgpulse's own statement would (no per-row trigger work), fast. */
const insert = (select: string) =>
  sql.query(`
    WITH own AS MATERIALIZED (
      SELECT set_config('pgpulse.own_statement', statement_timestamp()::text, true) AS mark)
    INSERT INTO pgpulse.jobs (queue, tenant, created_at)
    SELECT q, t, c FROM own, LATERAL (${select}) AS s(q, t, c) WHERE own.mark IS NOT NULL`);

/**
 * Runs one claim of `batchSize` inside a transaction that is rolled back, under EXPLAIN (ANALYZE,
 * BUFFERS): how many jobs it took and how many buffers it touched, the group walk inside
 * group_candidates() included (a node's buffer counts include the functions it calls).
 */
async function claimCost(name: string, batchSize: number, after: string | null = null) {
  const client = await sql.connect();
  try {
    // Once unmeasured: the session's first call reads the catalogs to plan the functions.
    await client.query('BEGIN');
    await client.query(queriesFor('pgpulse').claim_jobs.text, [
      name,
      1,
      30_000,
      'c',
      null,
      null,
      0,
    ]);
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    const text = queriesFor('pgpulse').claim_jobs.text;
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, [
      name,
      batchSize,
      30_000,
      'cost',
      after,
      null,
      0,
    ]);
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    const taken = await client.query(
      "SELECT count(*)::int AS n FROM pgpulse.jobs WHERE state = 'running' AND worker_id = 'cost'",
    );
    return {
      buffers: (plan['Shared Hit Blocks'] as number) + (plan['Shared Read Blocks'] as number),
      taken: taken.rows[0].n as number,
    };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe(`a claim with ${GROUPS.toLocaleString('en')} groups and a hot group of ${HOT.toLocaleString('en')} jobs`, () => {
  let pages: number;
  beforeAll(async () => {
    await queue.queues.create('wide', { groups: { concurrencyLimit: 1 } });
    // Three jobs in each of 100,000 groups, and one group with 100,000 jobs.
    await insert(
      `SELECT 'wide', 'g' || lpad((i % ${GROUPS})::text, 6, '0'), now() FROM generate_series(1, ${3 * GROUPS}) AS i`,
    );
    await insert(`SELECT 'wide', 'g000000', now() FROM generate_series(1, ${HOT}) AS i`);
    await sql.query('ANALYZE pgpulse.jobs');
    const { rows } = await sql.query(
      "SELECT relpages FROM pg_class WHERE oid = 'pgpulse.jobs'::regclass",
    );
    pages = rows[0].relpages;
  }, 240_000);

  test('reads O(batch) pages, not the backlog or the group list', async () => {
    const small = await claimCost('wide', 10);
    const large = await claimCost('wide', 100);
    expect(small.taken).toBe(10);
    expect(large.taken).toBe(100);
    // Each job costs its group's probes, its pick, its lock and its update (about 30 buffers,
    // measured 357 for 10 and 3,063 for 100); the table alone has thousands of pages.
    expect(small.buffers).toBeLessThan(60 * 10);
    expect(large.buffers).toBeLessThan(40 * 100);
    expect(large.buffers).toBeLessThan(pages / 2);
  });

  test('full groups cost a probe each, bounded by the jobs running', async () => {
    // 500 groups run a job each (their caps are full); a claim that starts its walk among them
    // steps over them and still takes its batch.
    const [first] = await queue.claim('wide', { batchSize: 500 });
    expect(first).toBeDefined();
    const cost = await claimCost('wide', 10);
    expect(cost.taken).toBe(10);
    // Measured 4,394: about 8 per full group stepped over, and the batch's own.
    expect(cost.buffers).toBeLessThan(500 * 10 + 60 * 10);
  });

  test('the hot group does not delay other groups', async () => {
    await queue.queues.create('hot', { groups: { concurrencyLimit: 50 } });
    await insert(`SELECT 'hot', 'hot', now() FROM generate_series(1, ${HOT}) AS i`);
    await sql.query('ANALYZE pgpulse.jobs');
    await queue.sendBatch('hot', [
      { payload: 1, tenant: 'cold-1' },
      { payload: 2, tenant: 'cold-2' },
    ]);
    const jobs = await queue.claim('hot', { batchSize: 10 });
    // One claim: each of the three groups gets its share of the batch (ceil(10 / 3) = 4), so the
    // cold groups' jobs start with the first claim however long the hot group's backlog is.
    expect(jobs.map((job) => job.tenant).sort()).toEqual([
      'cold-1',
      'cold-2',
      'hot',
      'hot',
      'hot',
      'hot',
    ]);
  });

  test("a FIFO group's head is one probe of the order index, whatever its backlog", async () => {
    await queue.queues.update('hot', { groups: { fifo: true } });
    const { rows } = await sql.query(
      "EXPLAIN SELECT * FROM pgpulse.group_room('hot', 'hot', now(), 0)",
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain('jobs_group_order_idx');
    expect(plan).not.toMatch(/Sort|Seq Scan on jobs/);
    const cost = await claimCost('hot', 10);
    // Jobs of the hot group claimed before it turned FIFO still run: its head waits for them.
    expect(cost.taken).toBe(0);
    expect(cost.buffers).toBeLessThan(200);
  });
});
