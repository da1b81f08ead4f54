import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import type { JobEvent } from '../../src/index.js';
import { decodeJobsNotice } from '../../src/notify/jobs-channel.js';
import { useTestQueue } from '../helpers/database.js';
import { type Recorder, recordNotifications } from '../helpers/notifications.js';
import { waitFor } from '../helpers/wait.js';

// Schedules on the tables of migrations 0013 and 0014: a tick's job is inserted by a statement
// that announces itself (no broadcast from the insert trigger), and leaves the hot table for
// jobs_done once it completed or was cancelled, where the unique index per (schedule, tick) no
// longer sees it: schedule_enqueue() must refuse that tick itself.

const { db, sql, queue } = await useTestQueue();
const recorder: Recorder = await recordNotifications(db.url, 'pgpulse.jobs');
afterAll(() => recorder.close()); // before the queue and database go (hooks run in reverse)
beforeEach(async () => {
  await recorder.barrier();
  recorder.received.length = 0;
});

/** Makes the jobs of `ticks` with schedule_enqueue() as a claim would; returns how many it made. */
async function enqueue(schedule: string, ticks: Date[]): Promise<number> {
  const { rows } = await sql.query<{ made: number }>(
    `SELECT pgpulse.schedule_enqueue($1, $2::timestamptz[],
       ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality($2::timestamptz[]))),
       3) AS made`,
    [schedule, ticks],
  );
  return rows[0]?.made ?? -1;
}

/** Every job of a schedule's tick, wherever it is. */
async function jobsOfTick(schedule: string, tick: Date) {
  const { rows } = await sql.query<{ id: string; state: string }>(
    'SELECT id, state FROM pgpulse.all_jobs WHERE schedule = $1 AND tick_at = $2',
    [schedule, tick],
  );
  return rows;
}

describe("a tick's job announces itself like a send", () => {
  test('the waiting tick: one notice for its queue, due at its tick; no broadcast', async () => {
    const { schedule } = await queue.schedules.set('announced', { every: '1h', queue: 'ann' });
    await recorder.barrier();
    const notices = recorder.received.map(decodeJobsNotice);
    expect(notices).toEqual([
      { kind: 'pending', queue: 'ann', count: 1, runAt: schedule.nextRunAt?.getTime() },
    ]);
  });

  test('a job run by hand is due now, announced, and its events go out', async () => {
    await queue.schedules.set('by-hand', { every: '1h', queue: 'ann-hand', job: 'report' });
    await recorder.barrier();
    recorder.received.length = 0;
    const { id } = await queue.schedules.trigger('by-hand');
    await recorder.barrier();
    expect(recorder.received.map(decodeJobsNotice)).toEqual([
      { kind: 'pending', queue: 'ann-hand', count: 1, runAt: expect.any(Number) },
    ]);
    expect(recorder.received).not.toContainEqual(expect.objectContaining({ any: true }));
    await queue.cancel(id);

    // The watch starts asynchronously: trigger until a triggered job's events are seen.
    const events: JobEvent[] = [];
    const watching = queue.events('ann-hand').subscribe((event) => events.push(event));
    try {
      const triggered: string[] = [];
      await waitFor(async () => {
        triggered.push((await queue.schedules.trigger('by-hand')).id);
        return events.some((event) => event.type === 'enqueued' && triggered.includes(event.id));
      }, 'the enqueued event of a triggered job');
      const enqueued = events.find((e) => e.type === 'enqueued' && triggered.includes(e.id));
      expect(enqueued).toMatchObject({ queue: 'ann-hand', name: 'report' });
      await waitFor(
        () => events.some((e) => e.type === 'tick' && e.id === enqueued?.id),
        'its tick event',
      );
    } finally {
      watching.unsubscribe();
    }
  });

  test('a worker idle on the queue starts the tick without a poll', async () => {
    // A poll far beyond the test's patience: only the announcement (and its timer) can wake it.
    const ran: string[] = [];
    const worker = queue.work('ann-work', async (job) => void ran.push(job.id), {
      pollIntervalMs: 3_600_000,
    });
    await worker.ready;
    await queue.schedules.set('woken', { every: 200, queue: 'ann-work', maxRuns: 2 });
    await waitFor(() => ran.length >= 2, 'two ticks run by the idle worker');
    await worker.stop();
  });
});

describe('one job per tick after the job left the hot table', () => {
  test('a completed tick is never made again, nor a tick whose job was cancelled', async () => {
    await queue.schedules.set('done-once', { every: 200, queue: 'done-q' });
    // Claim the first tick as a worker would (its schedule moves on), and complete it.
    let claimed: Awaited<ReturnType<typeof queue.claim>> = [];
    await waitFor(async () => {
      claimed = await queue.claim('done-q', { batchSize: 1 });
      return claimed.length === 1;
    }, 'the first tick to be claimable');
    const [job] = claimed;
    if (job === undefined || job.tickAt === null) throw new Error('expected a tick');
    await queue.complete(job);
    const { rows: where } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pgpulse.jobs_done WHERE id = $1',
      [job.id],
    );
    expect(where[0]?.n).toBe(1);
    // The tick's job is in jobs_done: the unique index on jobs would not stop a second one.
    expect(await enqueue('done-once', [job.tickAt])).toBe(0);
    expect(await jobsOfTick('done-once', job.tickAt)).toHaveLength(1);

    // The waiting tick's job, cancelled by hand before its tick, moved to jobs_done too.
    const waiting = (await queue.schedules.get('done-once'))?.nextRunAt;
    if (waiting == null) throw new Error('expected a waiting tick');
    const [pending] = await jobsOfTick('done-once', waiting);
    await queue.cancel(pending?.id ?? '');
    expect(await enqueue('done-once', [waiting])).toBe(0);
    expect(await jobsOfTick('done-once', waiting)).toEqual([
      { id: pending?.id, state: 'cancelled' },
    ]);
    // Setting the schedule again (the waiting job is gone) arms the tick after it.
    await queue.schedules.set('done-once', { every: 200, queue: 'done-q' });
    const next = (await queue.schedules.get('done-once'))?.nextRunAt;
    expect(next?.getTime()).toBe(waiting.getTime() + 200);
    expect(await jobsOfTick('done-once', waiting)).toHaveLength(1);
    await queue.schedules.remove('done-once');
  });

  test("a skipped tick's job is filed in jobs_done with its schedule and tick", async () => {
    await queue.schedules.set('skips', { every: 100, queue: 'skip-q', overlap: 'skip' });
    let claimed: Awaited<ReturnType<typeof queue.claim>> = [];
    await waitFor(async () => {
      claimed = await queue.claim('skip-q', { batchSize: 1 });
      return claimed.length === 1;
    }, 'the first tick');
    const [first] = claimed;
    if (first === undefined) throw new Error('expected a tick');
    // The first tick's job is still running when the next tick is claimed: skipped.
    await waitFor(async () => {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pgpulse.jobs_done
         WHERE schedule = 'skips' AND tick_at IS NOT NULL AND result = '{"skipped": "overlap"}'`,
      );
      if ((rows[0]?.n ?? 0) > 0) return true;
      await queue.claim('skip-q', { batchSize: 1 });
      return false;
    }, 'a skipped tick in jobs_done');
    await queue.complete(first);
    await queue.schedules.remove('skips');
  });
});

describe('a tick whose handler already started', () => {
  // A worker starts the handler of a schedule that skips no tick (as it last read) before the
  // advance is written; the advance then says so, and never skips the job, even if the schedule
  // changed to a policy that would.
  test('is never skipped by its advance, whatever the policies say now', async () => {
    await queue.schedules.set('late-skip', { every: '1h', queue: 'started-q', overlap: 'skip' });
    // An unfinished last job: the waiting tick would be skipped for overlap.
    await queue.schedules.trigger('late-skip');
    const { rows } = await sql.query<{ next_tick_at: Date; version: number }>(
      `SELECT next_tick_at, version FROM pgpulse.schedules WHERE name = 'late-skip'`,
    );
    const row = rows[0];
    if (row === undefined) throw new Error('no schedule');
    const advance = (maySkip: boolean) =>
      sql.query<{ outcome: string; reason: string | null }>(
        `SELECT outcome, reason FROM pgpulse.schedule_advance('late-skip', NULL, NULL, $1, $2,
           '{}', '{}', $1, false, 3, $3)`,
        [row.next_tick_at, row.version, maySkip],
      );
    const client = await sql.connect();
    try {
      await client.query('BEGIN');
      const skipped = await client.query(
        `SELECT outcome, reason FROM pgpulse.schedule_advance('late-skip', NULL, NULL, $1, $2,
           '{}', '{}', $1, false, 3, true)`,
        [row.next_tick_at, row.version],
      );
      expect(skipped.rows).toEqual([{ outcome: 'skipped', reason: 'overlap' }]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await advance(false)).rows).toEqual([{ outcome: 'run', reason: null }]);
    await queue.schedules.remove('late-skip');
  });
});
