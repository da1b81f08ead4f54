import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Queue } from '../../src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// Sends that wait for a connection go together once one is free: one statement, one commit.
// The queue runs on a pool of one connection the test can hold, so "waiting" is certain.

const db = await createTestDatabase();
const sql = new pg.Pool({ connectionString: db.url });
const pool = new pg.Pool({ connectionString: db.url, max: 1 });
const queue = new Queue({ pool, listen: false });
beforeAll(() => queue.send('warm-up', {})); // the schema check holds a connection once
afterAll(async () => {
  await queue.close();
  await pool.end();
  await sql.end();
  await db.drop();
});

/** Sends `payloads` to `name` while the pool's only connection is held, then frees it. */
async function sendWhileHeld(name: string, payloads: unknown[]) {
  const held = await pool.connect();
  const sends = payloads.map((payload) => queue.send(name, payload));
  await waitFor(() => pool.waitingCount > 0, 'a send waiting for the connection');
  held.release();
  return Promise.allSettled(sends);
}

/** How many transactions wrote the jobs of `name`, and how many jobs there are. */
async function written(name: string): Promise<{ jobs: number; transactions: number }> {
  const { rows } = await sql.query(
    `SELECT count(*)::int AS jobs, count(DISTINCT xmin::text)::int AS transactions
       FROM pgpulse.jobs WHERE queue = $1`,
    [name],
  );
  return rows[0];
}

test('sends waiting for a connection go in one statement, each with its own id', async () => {
  const results = await sendWhileHeld(
    'coalesced',
    Array.from({ length: 20 }, (_, n) => ({ n })),
  );
  const ids = results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    expect(result.value).toMatchObject({ duplicate: false, replaced: false });
    return result.value.id;
  });
  expect(new Set(ids).size).toBe(20);
  expect(await written('coalesced')).toEqual({ jobs: 20, transactions: 1 });
  // Each id is its own job, with its own payload.
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  expect(jobs.map((job) => job?.payload)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
});

test('a job the database refuses fails its own send, and the others are written', async () => {
  await sql.query(
    `ALTER TABLE pgpulse.jobs ADD CONSTRAINT test_no_poison CHECK (payload->>'poison' IS NULL)`,
  );
  try {
    const results = await sendWhileHeld('poisoned', [{ n: 0 }, { n: 1, poison: true }, { n: 2 }]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: '23514' } });
    expect((await written('poisoned')).jobs).toBe(2);
  } finally {
    await sql.query('ALTER TABLE pgpulse.jobs DROP CONSTRAINT test_no_poison');
  }
});

test('a send on a free connection goes at once, alone', async () => {
  await queue.send('alone', { n: 1 });
  await queue.send('alone', { n: 2 });
  expect(await written('alone')).toEqual({ jobs: 2, transactions: 2 });
});
