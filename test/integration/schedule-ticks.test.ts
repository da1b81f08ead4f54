import { describe, expect, test } from 'vitest';
import { defineJob, type Worker } from '../../src/index.js';
import { useTestQueue } from '../helpers/database.js';
import { deferred } from '../helpers/deferred.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue();

interface TickRow {
  id: string;
  tick_at: Date;
  state: string;
  started_at: Date | null;
  finished_at: Date | null;
  result: { skipped?: string } | null;
}

/** The tick jobs of a schedule, by tick. */
async function ticksOf(schedule: string): Promise<TickRow[]> {
  const { rows } = await sql.query<TickRow>(
    `SELECT id, tick_at, state, started_at, finished_at, result FROM pgpulse.all_jobs
     WHERE schedule = $1 AND tick_at IS NOT NULL ORDER BY tick_at`,
    [schedule],
  );
  return rows;
}

const dbNow = async () =>
  (await sql.query<{ now: Date }>('SELECT now()')).rows[0]?.now ?? new Date(0);
const ms = (rows: { tick_at: Date }[]) => rows.map((row) => row.tick_at.getTime());

/** Steps between consecutive ticks. */
const steps = (ticks: number[]) => ticks.slice(1).map((tick, i) => tick - (ticks[i] as number));

describe('ticking', () => {
  test('a worker runs one job per tick, every tick, each due at its tick', async () => {
    await queue.schedules.set('quarter', { every: 250, queue: 'tick-a', misfire: 'all' });
    const worker = queue.work('tick-a', async () => 'ok');
    await waitFor(
      async () => (await ticksOf('quarter')).filter((row) => row.state === 'completed').length >= 6,
      'six completed ticks',
    );
    await worker.stop();
    const rows = await ticksOf('quarter');
    const ticks = ms(rows);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.every((tick) => tick % 250 === 0)).toBe(true);
    expect(steps(ticks).every((step) => step === 250)).toBe(true);
    // Every tick's job started no earlier than its tick (the database's clock decides).
    for (const row of rows.filter((r) => r.started_at !== null)) {
      expect(row.started_at?.getTime()).toBeGreaterThanOrEqual(row.tick_at.getTime());
    }
    // The last tick's job waits.
    expect(rows.at(-1)?.state).toBe('pending');
    const info = await queue.schedules.get('quarter');
    expect(info?.nextRunAt).toEqual(rows.at(-1)?.tick_at);
    expect(info?.lastRunAt).toEqual(rows.at(-2)?.tick_at);
    expect(info?.lastJob).toMatchObject({ id: rows.at(-2)?.id, state: 'completed' });
    await queue.schedules.remove('quarter');
  });

  test('misfire: every process stopped across five ticks, then restarted', async () => {
    const every = 400;
    const policies = [
      ['mf-once', { misfire: 'once' }],
      ['mf-all', { misfire: 'all', misfireCap: 3 }],
      ['mf-skip', { misfire: 'skip' }],
    ] as const;
    const start = (): Worker[] => policies.map(([name]) => queue.work(name, async () => 'ok'));
    for (const [name, policy] of policies) {
      await queue.schedules.set(name, { every, queue: name, ...policy });
    }
    // Run a tick or two, then stop every worker.
    let workers = start();
    await waitFor(async () => {
      for (const [name] of policies) {
        if (!(await ticksOf(name)).some((row) => row.state === 'completed')) return false;
      }
      return true;
    }, 'a completed tick of each');
    await Promise.all(workers.map((worker) => worker.stop()));
    // The waiting tick of each, and five more ticks pass with no process up.
    const waiting = new Map<string, number>();
    for (const [name] of policies) {
      waiting.set(name, (await queue.schedules.get(name))?.nextRunAt?.getTime() ?? 0);
    }
    const latest = Math.max(...waiting.values());
    await waitFor(
      async () => (await dbNow()).getTime() > latest + 5 * every,
      'five ticks with every process down',
    );
    workers = start();
    // Each waiting tick's job is claimed (it runs, or is skipped), and its schedule moves on.
    await waitFor(async () => {
      for (const [name] of policies) {
        const row = (await ticksOf(name)).find((r) => r.tick_at.getTime() === waiting.get(name));
        if (row === undefined || row.started_at === null) return false;
        const info = await queue.schedules.get(name);
        if ((info?.nextRunAt?.getTime() ?? 0) <= row.started_at.getTime()) return false;
      }
      return true;
    }, 'the restart to claim each waiting tick');
    await Promise.all(workers.map((worker) => worker.stop()));

    for (const [name, policy] of policies) {
      const rows = await ticksOf(name);
      const T = waiting.get(name) as number;
      const claimed = rows.find((row) => row.tick_at.getTime() === T) as TickRow;
      const claimedAt = claimed.started_at?.getTime() as number;
      // The ticks between the waiting one and the restart that got a job.
      const missed = ms(rows).filter((tick) => tick > T && tick <= claimedAt);
      const lastMissed = Math.floor(claimedAt / every) * every;
      if (policy.misfire === 'once') {
        expect(claimed.result?.skipped).toBeUndefined();
        expect(missed).toEqual([]);
      } else if (policy.misfire === 'all') {
        expect(claimed.result?.skipped).toBeUndefined();
        // The newest two missed ticks (the cap of 3 counts the waiting tick's job).
        expect(missed).toEqual([lastMissed - every, lastMissed]);
      } else {
        expect(claimed).toMatchObject({ state: 'cancelled', result: { skipped: 'misfire' } });
        expect(missed).toEqual([]);
      }
      // After the restart the schedule goes on from the first tick after it, at most one job a
      // tick, on the schedule's grid. (A later tick may misfire again on a loaded machine, as
      // its policy says, so the ticks after the first are not required to be consecutive.)
      const after = ms(rows).filter((tick) => tick > claimedAt);
      expect(after.length).toBeGreaterThan(0);
      expect([lastMissed + every, lastMissed + 2 * every]).toContain(after[0]);
      expect(steps(after).every((step) => step > 0 && step % every === 0)).toBe(true);
      await queue.schedules.remove(name);
    }
  });

  test('overlap skip: a tick while the previous tick’s job runs is skipped', async () => {
    const release = deferred();
    let running = 0;
    let most = 0;
    await queue.schedules.set('exclusive', { every: 150, queue: 'ov', overlap: 'skip' });
    const worker = queue.work(
      'ov',
      async () => {
        running += 1;
        most = Math.max(most, running);
        await release.promise;
        running -= 1;
      },
      { concurrency: 4 },
    );
    await waitFor(
      async () =>
        (await ticksOf('exclusive')).filter((r) => r.result?.skipped === 'overlap').length >= 2,
      'two ticks skipped for overlap',
    );
    release.resolve();
    await waitFor(
      async () => (await ticksOf('exclusive')).filter((r) => r.state === 'completed').length >= 2,
      'a tick after the long one to run',
    );
    await worker.stop();
    expect(most).toBe(1);
    const rows = await ticksOf('exclusive');
    const ran = rows.filter((r) => r.state === 'completed');
    // The jobs that ran never overlapped.
    for (let i = 1; i < ran.length; i++) {
      expect(ran[i]?.started_at?.getTime()).toBeGreaterThanOrEqual(
        ran[i - 1]?.finished_at?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    }
    expect(
      rows.filter((r) => r.result?.skipped === 'overlap').every((r) => r.state === 'cancelled'),
    ).toBe(true);
    await queue.schedules.remove('exclusive');
  });

  test('maxRuns: the schedule makes that many jobs, then ends', async () => {
    await queue.schedules.set('thrice', { every: 100, queue: 'max', maxRuns: 3, misfire: 'all' });
    const worker = queue.work('max', async () => 'ok');
    await waitFor(async () => (await queue.schedules.get('thrice'))?.state === 'ended', 'the end');
    await waitFor(
      async () => (await ticksOf('thrice')).every((r) => r.state === 'completed'),
      'every job to complete',
    );
    await worker.stop();
    const rows = await ticksOf('thrice');
    expect(rows).toHaveLength(3);
    expect(steps(ms(rows))).toEqual([100, 100]);
    expect(await queue.schedules.get('thrice')).toMatchObject({ runs: 3, nextRunAt: null });
  });

  test('a schedule declared with a job definition is installed by the worker, and runs', async () => {
    const seen: unknown[] = [];
    const beat = defineJob({
      name: 'heartbeat',
      schedule: { every: 100, misfire: 'all', payload: { n: 1 }, options: { priority: 2 } },
      handler: async (job) => {
        seen.push(job.payload);
        return job.tickAt?.toISOString();
      },
    });
    const worker = queue.work('declared', [beat]);
    await worker.ready;
    expect(await queue.schedules.get('heartbeat')).toMatchObject({
      queue: 'declared',
      jobName: 'heartbeat',
      everyMs: 100,
      jobOptions: { priority: 2 },
    });
    await waitFor(() => seen.length >= 2, 'two runs');
    // A second worker installs it again without changing anything.
    const second = queue.work('declared', [beat]);
    await second.ready;
    await Promise.all([worker.stop(), second.stop()]);
    expect(seen[0]).toEqual({ n: 1 });
    const rows = await ticksOf('heartbeat');
    expect(new Set(ms(rows)).size).toBe(rows.length);
    expect(steps(ms(rows)).every((step) => step === 100)).toBe(true);
  });
});

describe('a stalled schedule is repaired by the workers of its queue', () => {
  test('its waiting job purged, or run by a release from before schedules', async () => {
    for (const name of ['purged', 'old-release']) {
      await queue.schedules.set(name, { every: 100, queue: 'stall', misfire: 'all' });
    }
    const waiting = async (name: string) => (await queue.schedules.get(name))?.nextRunAt;
    const purgedTick = await waiting('purged');
    const oldTick = await waiting('old-release');
    // Purged; and run by an older release, which does not move its schedule on, and whose
    // completion files the job in jobs_done without the columns it does not know.
    await sql.query(`DELETE FROM pgpulse.jobs WHERE schedule = 'purged'`);
    const { rows: old } = await sql.query<{ id: string }>(
      `UPDATE pgpulse.jobs SET state = 'completed', finished_at = now(), schedule = NULL,
         tick_at = NULL
       WHERE schedule = 'old-release' RETURNING id`,
    );
    await sql.query(
      `WITH moved AS (DELETE FROM pgpulse.jobs WHERE id = ANY ($1) RETURNING *)
       INSERT INTO pgpulse.jobs_done SELECT * FROM moved`,
      [old.map((row) => row.id)],
    );
    // Stalled for good: no claim will ever move them on, until a worker repairs them.
    await waitFor(
      async () => (await dbNow()).getTime() > (oldTick?.getTime() ?? 0) + 1500,
      'both ticks to be due past the grace',
    );
    const worker = queue.work('stall', async () => 'ok');
    await waitFor(async () => {
      for (const name of ['purged', 'old-release']) {
        if ((await ticksOf(name)).filter((r) => r.state === 'completed').length < 3) return false;
      }
      return true;
    }, 'both schedules to run again');
    await worker.stop();
    for (const [name, tick] of [
      ['purged', purgedTick],
      ['old-release', oldTick],
    ] as const) {
      const after = ms(await ticksOf(name)).filter((t) => t > (tick?.getTime() ?? 0));
      expect(steps(after).every((step) => step === 100)).toBe(true);
      await queue.schedules.remove(name);
    }
  });
});
