import { afterAll, expect, test } from 'vitest';
import { resolveQueueOptions } from '../../src/config/options.js';
import { createContext } from '../../src/db/context.js';
import { renewLeases } from '../../src/lease/renew.js';
import { completeJobs } from '../../src/settle/settler.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// Regression: a worker's heartbeat and its completion of the same jobs, on two connections, each
// locked the jobs' rows in the order of its own input (the claim's order for one, the order the
// handlers finished in for the other), and deadlocked now and then under load: "heartbeat
// failed ... deadlock detected (40P01)" in CI. Every batch statement now takes its rows in id
// order, so two of them over the same jobs wait for each other, never in a circle.

const { sql, queue } = await useTestQueue({ listen: false });
const ctx = createContext(queue.pool, resolveQueueOptions({ pool: queue.pool, listen: false }));
afterAll(() => ctx.markClosed());

const lockWaits = async () =>
  (
    await sql.query(
      `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
    )
  ).rows.length;

test('a heartbeat and a completion of the same jobs, in opposite orders, do not deadlock', async () => {
  await queue.sendBatch('locks', [{ payload: 1 }, { payload: 2 }]);
  const claimed = await queue.claim('locks', { leaseMs: 30_000, batchSize: 2 });
  expect(claimed).toHaveLength(2);
  const [first, second] = [...claimed].sort((a, b) => (a.id < b.id ? -1 : 1)) as [
    (typeof claimed)[0],
    (typeof claimed)[0],
  ];
  // A third session holds the first job's row, so that each statement stops at its first row.
  const holder = await sql.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM pgpulse.jobs WHERE id = $1 FOR UPDATE', [first.id]);
    // The heartbeat's input starts with the held row: it waits there.
    const beat = renewLeases(ctx, [first, second], 30_000);
    await waitFor(async () => (await lockWaits()) === 1, 'the heartbeat to wait');
    // The completion's input starts with the other row. Taken in input order, it would lock
    // that row, then wait for the held one, which the heartbeat gets first and then waits for
    // the completion's: a deadlock once the holder lets go.
    const complete = completeJobs(ctx, [{ job: second }, { job: first }]);
    await waitFor(async () => (await lockWaits()) === 2, 'the completion to wait');
    await holder.query('COMMIT');
    expect((await beat).map((outcome) => outcome.ok)).toEqual([true, true]);
    expect((await complete).map((outcome) => outcome.ok)).toEqual([true, true]);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
  }
  for (const job of claimed) expect((await queue.getJob(job.id))?.state).toBe('completed');
});
