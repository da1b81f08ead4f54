import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

// Regression: the tick of a schedule that skips no tick starts its handler at once and moves its
// schedule on meanwhile, but worker.stop() did not wait for that write. A stop that raced it
// returned with the tick's job completed and the next tick's job not yet inserted, which was
// then written after stop() (or, with the pool closing, never, until the stalled-schedule
// repair). Seen in CI: "expected 'completed' to be 'pending'" in schedule-ticks.test.ts.

const { sql, queue } = await useTestQueue();

const ticks = async (name: string) =>
  (
    await sql.query<{ state: string }>(
      'SELECT state FROM pgpulse.all_jobs WHERE schedule = $1 AND tick_at IS NOT NULL ORDER BY tick_at',
      [name],
    )
  ).rows.map((row) => row.state);

test('stop() waits for a started tick to move its schedule on', async () => {
  await queue.schedules.set('held', { every: 200, queue: 'held-ticks' });
  // Hold the schedule's row, so that moving it on (schedule_advance() locks it) must wait.
  const holder = await sql.connect();
  try {
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM pgpulse.schedules WHERE name = 'held' FOR UPDATE");
    const worker = queue.work('held-ticks', async () => 'ok');
    await waitFor(async () => (await ticks('held'))[0] === 'completed', 'the first tick to run');
    await waitFor(async () => {
      const { rows } = await sql.query(
        `SELECT 1 FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE '%schedule_advance%'`,
      );
      return rows.length === 1;
    }, 'the schedule to wait for its row');
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    // Before the fix, stop() returned here and removed the worker's registry row; now both wait.
    const returnedEarly = await waitFor(
      async () => stopped || (await sql.query('SELECT 1 FROM pgpulse.workers')).rows.length === 0,
      'stop() to return while the schedule is held',
      1000,
    ).then(
      () => true,
      () => false,
    );
    expect(returnedEarly).toBe(false);
    await holder.query('COMMIT');
    await stopping;
    // Once stop() has returned, the schedule has moved on: the next tick's job waits.
    expect(await ticks('held')).toEqual(['completed', 'pending']);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
  }
  await queue.schedules.remove('held');
});
