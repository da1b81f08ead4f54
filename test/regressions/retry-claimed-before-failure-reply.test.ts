import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { queriesFor } from '../../src/db/queries.js';
import { Queue } from '../../src/index.js';
import { InFlight } from '../../src/lease/in-flight.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

// Regression (the flaky "retries with backoff" test behind PgBouncer, reproduced under CPU load):
// a job that fails with a short backoff is pending again, and claimable ahead of its due time, as
// soon as its failure commits. Its worker could claim it again before the failure's reply came
// back; the consumer kept its held jobs by id, so the new claim took the place of the settling
// one, and the reply of the failure then removed the new claim's entry. The handler of the new
// attempt ran, and its own failure was never written: the job stayed running until its lease ran
// out (30 s by default). A settlement now removes only its own claim's entry.

const { db, sql } = await useTestQueue({ listen: false });
const failText = queriesFor('pgpulse').fail_jobs.text;

async function attemptOf(id: string): Promise<{ attempts: number; state: string } | undefined> {
  const { rows } = await sql.query('SELECT attempts, state FROM pgpulse.all_jobs WHERE id = $1', [
    id,
  ]);
  return rows[0];
}

// A pool that holds back the reply of the first failure (the statement has committed) until the
// retry's claim has come back to the consumer: the order in which a loaded machine delivered them.
const claimTexts = new Set([
  queriesFor('pgpulse').claim_plain.text,
  queriesFor('pgpulse').claim_jobs.text,
]);
const reclaimed = deferred<void>();
const released = deferred<void>();
/** The job watched, and whether its first failure's reply is yet to be held back. */
let watched: string | undefined;
let holdNext = true;
const pool = new pg.Pool({ connectionString: db.url, max: 8 });
const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<{ rows: unknown[] }>;
(pool as unknown as { query: unknown }).query = async (...args: unknown[]) => {
  const result = await query(...args);
  const text = (args[0] as { text?: string } | undefined)?.text;
  const id = watched;
  if (id === undefined || text === undefined) return result;
  if (claimTexts.has(text)) {
    const rows = result.rows as { id: string; attempts: number }[];
    if (rows.some((row) => row.id === id && row.attempts === 2)) reclaimed.resolve();
  } else if (text === failText && holdNext) {
    holdNext = false;
    await reclaimed.promise;
    await new Promise((resolve) => setImmediate(resolve)); // the consumer took the claim in
    released.resolve();
  }
  return result;
};
const queue = new Queue({ pool, listenConnectionString: db.url });
afterAll(async () => {
  await queue.close();
  await pool.end();
});

test('a retry claimed before its failure reply returns still has its own failure written', async () => {
  const attempts: number[] = [];
  const worker = queue.work(
    'early-retry',
    async (job) => {
      attempts.push(job.attempts);
      if (job.attempts === 2) {
        // Fails once the first failure's reply is in: what a handler slower than it does.
        await released.promise;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (job.attempts < 3) throw new Error(`attempt ${job.attempts}`);
      return 'done';
    },
    { concurrency: 4, leaseMs: 60_000 }, // far longer than waitFor waits (20 s)
  );
  try {
    await worker.ready;
    const { id } = await queue.send('early-retry', {}, { backoff: { type: 'fixed', delayMs: 10 } });
    watched = id;
    // Within the lease (30 s): before the fix the second failure was never written, and the job
    // came back only when its lease ran out.
    await waitFor(async () => (await attemptOf(id))?.state === 'completed', 'the third attempt');
    expect(attempts).toEqual([1, 2, 3]);
    expect(holdNext).toBe(false); // the reply was held back, so the race did happen
    await waitFor(() => worker.held === 0, 'the worker to let go');
  } finally {
    await worker.stop();
  }
});

test('removing a settled entry leaves the later claim of the same job held', () => {
  const inFlight = new InFlight();
  const job = { id: 'j', leaseToken: 'a' } as never;
  const first = inFlight.add(job, 0, 1000);
  inFlight.markSettling(first);
  const second = inFlight.add({ id: 'j', leaseToken: 'b' } as never, 0, 1000);
  expect(inFlight.size).toBe(2);
  expect(inFlight.active).toBe(1);
  inFlight.remove(first);
  expect(inFlight.get('j')).toBe(second);
  expect(inFlight.size).toBe(1);
  expect(inFlight.entries()).toEqual([second]);
  inFlight.remove(second);
  expect(inFlight.size).toBe(0);
});
