import { beforeAll, describe, expect, test } from 'vitest';
import { type QueryName, queriesFor } from '../../src/db/queries.js';
import { migrate, Queue } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';

const { db, sql, queue } = await useTestQueue({ listen: false });

/**
 * The plan PostgreSQL runs for a registered statement prepared with these parameters: a custom
 * plan (the first executions of a prepared statement) or a generic one (later executions).
 */
async function planOf(
  name: QueryName,
  types: string,
  values: unknown[],
  schema = 'pgpulse',
  mode: 'generic' | 'custom' = 'generic',
): Promise<string> {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL plan_cache_mode = force_${mode}_plan`);
    await client.query(`PREPARE probe(${types}) AS ${queriesFor(schema)[name].text}`);
    const literals = values
      .map((value) => (value === null ? 'NULL' : client.escapeLiteral(String(value))))
      .join(', ');
    const { rows } = await client.query(`EXPLAIN EXECUTE probe(${literals})`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    // PREPARE outlives a rollback: it belongs to the session.
    await client.query('ROLLBACK');
    await client.query('DEALLOCATE ALL');
    client.release();
  }
}

/** The lines of one CTE's node in an EXPLAIN text: from `CTE name` to the next node at its depth. */
function cteOf(plan: string, name: string): string {
  const lines = plan.split('\n');
  const start = lines.findIndex((line) => line.trim() === `CTE ${name}`);
  if (start < 0) throw new Error(`no CTE ${name} in the plan:\n${plan}`);
  const depth = (line: string) => line.length - line.trimStart().length;
  const own = depth(lines[start] as string);
  const end = lines.findIndex((line, i) => i > start && depth(line) <= own);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('on a big table that was never analysed (right after a burst of inserts)', () => {
  let leases: string;
  let smallLeases: string;
  beforeAll(async () => {
    // A second schema with a modest, analysed table: 10,000 pending jobs, 30 of them leased.
    // That is where the planner preferred scanning the table to 100 (estimated) index probes.
    await migrate(sql, { schema: 'small' });
    const small = new Queue({ connectionString: db.url, schema: 'small', listen: false });
    await small.sendBatch(
      'small',
      Array.from({ length: 10_000 }, (_, i) => ({ payload: i })),
    );
    const smallJobs = await small.claim('small', { batchSize: 30 });
    smallLeases = JSON.stringify(
      smallJobs.map((job) => ({ id: job.id, token: job.leaseToken, result: null })),
    );
    await small.close();
    await sql.query('ANALYZE small.jobs');
    await sql.query(`
      INSERT INTO pgpulse.jobs (queue, state, finished_at, tenant)
      SELECT 'big', 'completed', now(), 't' || (i % 10) FROM generate_series(1, 60000) AS i`);
    await sql.query(`
      INSERT INTO pgpulse.jobs (queue, tenant)
      SELECT 'big', 't' || (i % 10) FROM generate_series(1, 40000) AS i`);
    const jobs = await queue.claim('big', { batchSize: 20 });
    leases = JSON.stringify(
      jobs.map((job) => ({ id: job.id, token: job.leaseToken, result: null })),
    );
  });

  // Regression: the claim used to plan through a (queue, run_at) index, read every pending job
  // and sort them: 23 ms per claim at 40,000 pending jobs, and growing with the backlog.
  test('a claim walks the partial claim index, whatever the statistics', async () => {
    for (const analysed of [false, true]) {
      if (analysed) await sql.query('ANALYZE pgpulse.jobs');
      const plan = await planOf('claim_jobs', 'text, int, int, text, text, text, int', [
        'big',
        16,
        30_000,
        'w',
        't1',
        null,
        20,
      ]);
      expect(plan).toContain('Index Scan using jobs_claim_idx');
      // Sorting the few claimed rows or a fair claim's candidates is fine; sorting jobs is not.
      const sortKeys = plan.match(/Sort Key: .*/g) ?? [];
      expect(
        sortKeys.filter(
          (key) => !/Sort Key: (claimed|c\.ord|fair_pick|\(row_number|w_\d+\.)/.test(key),
        ),
      ).toEqual([]);
      expect(plan).not.toMatch(/Seq Scan on jobs|Bitmap Index Scan on jobs_claim_idx/);
      const lean = await planOf('claim_plain', 'text, int, int, text, int', [
        'big',
        16,
        30_000,
        'w',
        20,
      ]);
      expect(lean).toContain('Index Scan using jobs_claim_idx');
      expect(lean).toContain('jobs_pkey');
      expect(lean).not.toMatch(/Seq Scan on jobs|Bitmap Index Scan on jobs_claim_idx/);
      expect(lean.match(/Sort Key: .*/g) ?? []).toEqual([
        'Sort Key: claimed.priority, claimed.run_at, claimed.id',
      ]);
      const tenantPlan = await planOf('claim_jobs', 'text, int, int, text, text, text, int', [
        'big',
        16,
        30_000,
        'w',
        null,
        't3',
        20,
      ]);
      const pick = cteOf(tenantPlan, 'tenant_pick');
      expect(pick).toContain('Index Scan using jobs_claim_tenant_idx');
      expect(pick).not.toMatch(/Seq Scan on jobs|jobs_claim_idx|Sort/);
    }
  });

  // Regression: settling statements looked refused rows up with a join, which the planner ran as
  // a sequential scan of the whole jobs table on every batch (O(table) per settlement). It chose
  // that plan when the table was modest (10,000 rows), so the check runs at both sizes.
  test.each<[QueryName, string, (leases: string) => unknown[]]>([
    ['complete_jobs', 'jsonb', (l) => [l]],
    [
      'fail_jobs',
      'jsonb, int',
      (l) => [l.replaceAll('"result":null', '"error":{},"retryable":true,"retry_delay_ms":0'), 20],
    ],
    ['release_jobs', 'jsonb', (l) => [l.replaceAll('"result":null', '"delay_ms":null')]],
    ['heartbeat_jobs', 'jsonb, int', (l) => [l.replaceAll(',"result":null', ''), 30_000]],
  ])('%s reaches jobs by primary key, never by scanning the table', async (name, types, values) => {
    for (const [schema, batch] of [
      ['pgpulse', leases],
      ['small', smallLeases],
    ] as const) {
      for (const mode of ['generic', 'custom'] as const) {
        const plan = await planOf(name, types, values(batch), schema, mode);
        expect(plan, `${schema}, ${mode} plan`).not.toContain('Seq Scan on jobs');
        expect(plan).toContain('jobs_pkey');
      }
    }
  });

  test('the next due time is found through the claim index, not by a scan', async () => {
    const plan = await planOf('next_run_at', 'text, double precision, text', [
      'big',
      Date.now(),
      '',
    ]);
    expect(plan).toContain('jobs_claim_idx');
    expect(plan).not.toContain('Seq Scan on jobs');
  });
});

// Regression (flaky under load): when autovacuum had analysed the table before a burst of
// pending jobs, the backlog looked empty and the planner claimed for one tenant by walking
// jobs_claim_idx with a tenant filter, which reads the whole backlog for a tenant with a small
// share of it. Migration 0008 leaves the tenant index the only one that can serve that pick.
test('a tenant-scoped claim walks the tenant index even with statistics from before the backlog', async () => {
  await migrate(sql, { schema: 'stale' });
  await sql.query(`
    INSERT INTO stale.jobs (queue, state, finished_at, tenant)
    SELECT 'q', 'completed', now(), 't' || (i % 10) FROM generate_series(1, 60000) AS i`);
  await sql.query('ANALYZE stale.jobs'); // what autovacuum may do between two bursts
  await sql.query(`
    INSERT INTO stale.jobs (queue, tenant)
    SELECT 'q', CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 't' || (i % 10) END
    FROM generate_series(1, 40000) AS i`);
  for (const tenant of ['rare', 't3']) {
    const plan = await planOf(
      'claim_jobs',
      'text, int, int, text, text, text, int',
      ['q', 16, 30_000, 'w', null, tenant, 20],
      'stale',
    );
    const pick = cteOf(plan, 'tenant_pick');
    expect(pick, `tenant ${tenant}`).toContain('Index Scan using jobs_claim_tenant_idx');
    expect(pick).not.toMatch(/Seq Scan on jobs|jobs_claim_idx|Sort/);
  }
});

// Regression: fair_candidates() was inlined into every claim (a recursive walk to plan, fair queue
// or not), and the claim was re-planned on every call once the backlog outgrew the custom plans
// the plan cache had averaged: a 1,000,000-job backlog drained at 60% of a 10,000-job one.
test('the fair walk is planned only when called, and a queue plans its statements once', async () => {
  const plan = await planOf(
    'claim_jobs',
    'text, int, int, text, text, text, int',
    ['big', 16, 1, 'w', null, null, 0],
    'pgpulse',
    'custom',
  );
  expect(plan).toContain('Function Scan on fair_candidates');
  expect(plan).not.toMatch(/WorkTable Scan/);

  const own = await queue.pool.query<{ mode: string }>(
    "SELECT current_setting('plan_cache_mode') AS mode",
  );
  expect(own.rows[0]?.mode).toBe('force_generic_plan');
  const url = new URL(db.url);
  url.searchParams.set('options', '-c statement_timeout=4321');
  const withOptions = new Queue({ connectionString: url.toString(), listen: false });
  try {
    const { rows } = await withOptions.pool.query<{ mode: string; timeout: string }>(
      "SELECT current_setting('plan_cache_mode') AS mode, current_setting('statement_timeout') AS timeout",
    );
    expect(rows[0]).toEqual({ mode: 'force_generic_plan', timeout: '4321ms' });
  } finally {
    await withOptions.close();
  }
  // A pool the caller made is left as it is.
  const theirs = new Queue({ pool: sql, listen: false });
  const { rows } = await theirs.pool.query<{ mode: string }>(
    "SELECT current_setting('plan_cache_mode') AS mode",
  );
  expect(rows[0]?.mode).toBe('auto');
  await theirs.close();
});

// Regression: a delayed job could start a whole timer interval late. A timer fired a little
// early, the claim found the job not yet due, and the refresh that followed asked for jobs due
// after "now", by which time the job was due and so left out; nothing woke for it until the
// next job's timer. The refresh now asks for jobs due after the moment the claim looked.
test('a job that became due after a short claim looked is reported due at once', async () => {
  const { id } = await queue.send('due-soon', {}, { delayMs: 80 });
  const { rows } = await sql.query('SELECT extract(epoch FROM now()) * 1000 AS look_ms');
  const lookMs = Number(rows[0].look_ms); // the moment a short claim looked
  // Wait (a predicate on the database clock) until the job is due.
  for (;;) {
    const due = await sql.query('SELECT run_at <= now() AS due FROM pgpulse.jobs WHERE id = $1', [
      id,
    ]);
    if (due.rows[0].due === true) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const nextDue = async (after: number | null) =>
    (await sql.query(queriesFor('pgpulse').next_run_at.text, ['due-soon', after, null])).rows[0];
  expect(Number((await nextDue(lookMs)).due_in_ms)).toBeLessThanOrEqual(0);
  expect((await nextDue(null)).due_in_ms).toBeNull(); // the old question missed it
});
