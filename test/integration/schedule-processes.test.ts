import { expect, test } from 'vitest';
import { useTestQueue } from '../helpers/database.js';
import { useWorkerProcesses } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Four worker processes fire three schedules: no process is the scheduler, yet each tick gets
 * exactly one job (the unique key per schedule and tick), and none is missed. Assertions are on
 * tick times recorded in the database, never on durations.
 */
const { db, sql, queue } = await useTestQueue();
const spawn = useWorkerProcesses(db.url, sql);

interface TickRow {
  id: string;
  tick_at: Date;
  state: string;
  handled: number;
}

async function ticksOf(schedule: string): Promise<TickRow[]> {
  const { rows } = await sql.query<TickRow>(
    `SELECT j.id, j.tick_at, j.state,
            (SELECT count(*)::int FROM handled AS h WHERE h.job_id = j.id) AS handled
     FROM pgpulse.all_jobs AS j WHERE j.schedule = $1 AND j.tick_at IS NOT NULL ORDER BY j.tick_at`,
    [schedule],
  );
  return rows;
}

const dbNowMs = async () =>
  (await sql.query<{ now: Date }>('SELECT now()')).rows[0]?.now.getTime() ?? 0;
const ticks = (rows: TickRow[]) => rows.map((row) => row.tick_at.getTime());
const steps = (values: number[]) => values.slice(1).map((v, i) => v - (values[i] as number));
const completed = (rows: TickRow[]) => rows.filter((row) => row.state === 'completed');

test('4 processes, 3 schedules: one job per tick, none missed; changes take effect everywhere', async () => {
  await spawn({ TEST_QUEUE: 'ticks', TEST_CONCURRENCY: '4', TEST_POLL_MS: '60000' }, 4);
  // A cron each minute at a second a few seconds from now, so that it ticks during the run.
  const cronSecond = (Math.floor((await dbNowMs()) / 1000) + 4) % 60;
  const cron = `${cronSecond} * * * * *`;
  const started = await dbNowMs();
  await queue.schedules.set('every-second', { every: '1s', queue: 'ticks', misfire: 'all' });
  await queue.schedules.set('every-250', { every: 250, queue: 'ticks', misfire: 'all' });
  await queue.schedules.set('minutely', { cron, queue: 'ticks', misfire: 'all' });
  await waitFor(
    async () =>
      completed(await ticksOf('minutely')).length >= 1 &&
      completed(await ticksOf('every-second')).length >= 4 &&
      completed(await ticksOf('every-250')).length >= 16,
    'the cron tick, four seconds and sixteen quarter seconds',
  );

  for (const [name, step] of [
    ['every-second', 1000],
    ['every-250', 250],
  ] as const) {
    const rows = await ticksOf(name);
    const times = ticks(rows);
    // The first tick is the first after the schedule was set; then every tick, once.
    expect(times[0]).toBeGreaterThan(started);
    expect(times.every((time) => time % step === 0)).toBe(true);
    expect(steps(times).every((s) => s === step)).toBe(true);
    // Each completed tick's job was handled by exactly one process, once.
    expect(completed(rows).every((row) => row.handled === 1)).toBe(true);
  }
  const minutely = await ticksOf('minutely');
  const first = minutely[0]?.tick_at;
  expect(first?.getUTCSeconds()).toBe(cronSecond);
  expect(first?.getUTCMilliseconds()).toBe(0);
  expect(minutely[0]?.handled).toBe(1);
  // The next minute's tick waits.
  expect(ticks(minutely)).toEqual([first?.getTime(), (first?.getTime() ?? 0) + 60_000]);
  expect(minutely[1]?.state).toBe('pending');
  // The processes that ran the ticks: more than one, none of them "the scheduler".
  const { rows: pids } = await sql.query<{ n: number }>(
    `SELECT count(DISTINCT h.pid)::int AS n FROM handled AS h
     JOIN pgpulse.all_jobs AS j ON j.id = h.job_id WHERE j.schedule IS NOT NULL`,
  );
  expect(pids[0]?.n).toBeGreaterThan(1);

  // While the processes run: change one schedule, pause one, remove one.
  await queue.schedules.set('every-250', { every: 500, queue: 'ticks', misfire: 'all' });
  await queue.schedules.pause('every-second');
  await queue.schedules.remove('minutely');
  const changedAt = await dbNowMs();
  await waitFor(
    async () =>
      completed(await ticksOf('every-250')).filter((row) => row.tick_at.getTime() > changedAt)
        .length >= 3,
    'three ticks of the changed schedule',
  );
  const changed = ticks(await ticksOf('every-250')).filter((time) => time > changedAt);
  expect(changed.every((time) => time % 500 === 0)).toBe(true);
  expect(steps(changed).every((s) => s === 500)).toBe(true);
  // A paused schedule fires nothing; a removed one neither.
  expect(ticks(await ticksOf('every-second')).filter((time) => time > changedAt)).toEqual([]);
  expect(ticks(await ticksOf('minutely')).filter((time) => time > changedAt)).toEqual([]);
  expect(await queue.schedules.get('every-second')).toMatchObject({ state: 'paused' });
  await queue.schedules.remove('every-250');
  await queue.schedules.remove('every-second');
});
