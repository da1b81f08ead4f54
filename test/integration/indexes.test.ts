import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { queriesFor } from '../../src/db/queries.js';
import { createTestDatabase } from '../helpers/database.js';

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url });
afterAll(async () => {
  await sql.end();
  await db.drop();
});

/** The plan PostgreSQL picks for a registered statement, with these parameters. */
async function planOf(
  name: 'claim_jobs' | 'claim_tenant_jobs',
  values: unknown[],
): Promise<string> {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(`EXPLAIN ${queriesFor('pgpulse')[name].text}`, values);
    await client.query('ROLLBACK');
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    client.release();
  }
}

test('on a large table, a claim walks the partial claim index instead of scanning', async () => {
  await sql.query(`
    INSERT INTO pgpulse.jobs (queue, state, finished_at, tenant)
    SELECT 'big', 'completed', now(), 't' || (i % 10) FROM generate_series(1, 100000) AS i`);
  await sql.query(`
    INSERT INTO pgpulse.jobs (queue, tenant)
    SELECT 'big', 't' || (i % 10) FROM generate_series(1, 20000) AS i`);
  await sql.query('ANALYZE pgpulse.jobs');

  const plan = await planOf('claim_jobs', ['big', 10, 30_000, 'w']);
  expect(plan).toContain('jobs_claim_idx');
  expect(plan).not.toMatch(/Seq Scan on jobs/);

  const tenantPlan = await planOf('claim_tenant_jobs', ['big', 10, 30_000, 'w', 't3']);
  expect(tenantPlan).toContain('jobs_claim_tenant_idx');
  expect(tenantPlan).not.toMatch(/Seq Scan on jobs/);
});
