import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineJob, ScheduleNotFoundError, ValidationError } from '../../src/index.js';
import type { JobEvent } from '../../src/observe/job-events.js';
import { useTestQueue } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

const { sql, queue } = await useTestQueue();

/** The jobs a schedule made, by tick. */
async function ticksOf(schedule: string) {
  const { rows } = await sql.query<{
    id: string;
    tick_at: Date | null;
    state: string;
    run_at: Date;
    result: unknown;
  }>(
    `SELECT id, tick_at, state, run_at, result FROM pgpulse.all_jobs WHERE schedule = $1
     ORDER BY tick_at NULLS LAST, created_at`,
    [schedule],
  );
  return rows;
}

const dbNow = async () =>
  (await sql.query<{ now: Date }>('SELECT now()')).rows[0]?.now.getTime() ?? 0;

describe('setting a schedule', () => {
  test('stores one row and keeps its next tick waiting as a delayed job', async () => {
    const before = await dbNow();
    const { schedule, created, changed } = await queue.schedules.set('hourly', {
      every: '1h',
      queue: 'sched-a',
      job: 'report',
      payload: { kind: 'hourly' },
      options: { priority: 3, maxAttempts: 2 },
    });
    expect({ created, changed }).toEqual({ created: true, changed: true });
    expect(schedule).toMatchObject({
      name: 'hourly',
      queue: 'sched-a',
      jobName: 'report',
      everyMs: 3_600_000,
      timezone: 'UTC',
      overlap: 'allow',
      misfire: 'once',
      state: 'active',
      runs: 1,
      lastJob: null,
    });
    // Ticks on whole hours since the epoch.
    const next = schedule.nextRunAt?.getTime() ?? 0;
    expect(next % 3_600_000).toBe(0);
    expect(next).toBeGreaterThan(before);
    const jobs = await ticksOf('hourly');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      state: 'pending',
      tick_at: new Date(next),
      run_at: new Date(next),
    });
    const job = await queue.getJob(jobs[0]?.id ?? '');
    expect(job).toMatchObject({
      name: 'report',
      payload: { kind: 'hourly' },
      priority: 3,
      maxAttempts: 2,
      schedule: 'hourly',
      tickAt: new Date(next),
    });
  });

  test('setting the same definition again writes nothing; a change replaces the waiting job', async () => {
    const options = {
      every: '1h',
      queue: 'sched-a',
      job: 'report',
      payload: { kind: 'hourly' },
      options: { priority: 3, maxAttempts: 2 },
    } as const;
    const again = await queue.schedules.set('hourly', options);
    expect({ created: again.created, changed: again.changed }).toEqual({
      created: false,
      changed: false,
    });
    expect(await ticksOf('hourly')).toHaveLength(1);
    const changed = await queue.schedules.set('hourly', {
      ...options,
      every: '30m',
      payload: { kind: 'half' },
    });
    expect(changed.changed).toBe(true);
    const jobs = await ticksOf('hourly');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.tick_at?.getTime()).toBe(changed.schedule.nextRunAt?.getTime());
    expect((await queue.getJob(jobs[0]?.id ?? ''))?.payload).toEqual({ kind: 'half' });
  });

  test('pause deletes the waiting job, resume makes the next one, remove deletes both', async () => {
    await queue.schedules.set('pausable', { cron: '0 0 * * * *', queue: 'sched-b' });
    const paused = await queue.schedules.pause('pausable');
    expect(paused).toMatchObject({ state: 'paused', nextRunAt: null });
    expect(await ticksOf('pausable')).toHaveLength(0);
    expect((await queue.schedules.pause('pausable')).state).toBe('paused');
    // A set leaves a paused schedule paused.
    await queue.schedules.set('pausable', { cron: '0 30 * * * *', queue: 'sched-b' });
    expect((await queue.schedules.get('pausable'))?.state).toBe('paused');
    expect(await ticksOf('pausable')).toHaveLength(0);
    const resumed = await queue.schedules.resume('pausable');
    expect(resumed.state).toBe('active');
    expect(resumed.nextRunAt?.getUTCMinutes()).toBe(30);
    expect(await ticksOf('pausable')).toHaveLength(1);
    expect(await queue.schedules.remove('pausable')).toBe(true);
    expect(await queue.schedules.remove('pausable')).toBe(false);
    expect(await queue.schedules.get('pausable')).toBeNull();
    expect(await ticksOf('pausable')).toHaveLength(0);
    await expect(queue.schedules.pause('pausable')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(queue.schedules.trigger('pausable')).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  test('trigger runs one job now, with the schedule name and no tick', async () => {
    await queue.schedules.set('manual', { cron: '0 0 0 1 1 *', queue: 'sched-c', payload: 1 });
    const { id } = await queue.schedules.trigger('manual');
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ schedule: 'manual', tickAt: null, state: 'pending', payload: 1 });
    const [claimed] = await queue.claim('sched-c');
    expect(claimed?.id).toBe(id);
    expect(claimed).toMatchObject({ schedule: 'manual', tickAt: null });
    const listed = (await queue.schedules.list({ queue: 'sched-c' }))[0];
    expect(listed?.lastJob).toMatchObject({ id, state: 'running' });
  });
});

describe('bad input: a ValidationError naming the field, nothing written', () => {
  const report = defineJob({ name: 'typed-report', schema: z.object({ to: z.email() }) });
  test.each([
    ['cron', { cron: 'every day at noon', queue: 'q' }],
    ['cron', { cron: '61 * * * * *', queue: 'q' }],
    ['cron', { cron: '0 0 30 2 *', queue: 'q' }],
    ['cron', { queue: 'q' }],
    ['cron', { cron: '* * * * *', every: 1000, queue: 'q' }],
    ['timezone', { cron: '* * * * *', timezone: 'Mars/Olympus_Mons', queue: 'q' }],
    ['every', { every: 0, queue: 'q' }],
    ['every', { every: -5, queue: 'q' }],
    ['every', { every: 10, queue: 'q' }],
    ['every', { every: '1 fortnight', queue: 'q' }],
    ['every', { every: 1.5, queue: 'q' }],
    ['queue', { every: 1000, queue: 'not a queue' }],
    ['overlap', { every: 1000, queue: 'q', overlap: 'sometimes' }],
    ['misfire', { every: 1000, queue: 'q', misfire: 'later' }],
    ['misfireCap', { every: 1000, queue: 'q', misfireCap: 0 }],
    ['maxRuns', { every: 1000, queue: 'q', maxRuns: 0 }],
    ['priority', { every: 1000, queue: 'q', options: { priority: 1e6 } }],
    ['payload.to', { every: 1000, queue: 'q', job: report, payload: { to: 'nobody' } }],
  ])('%s: %j', async (field, options) => {
    const error = await queue.schedules
      .set('bad', options as Parameters<typeof queue.schedules.set>[1])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(await queue.schedules.get('bad')).toBeNull();
    expect(await ticksOf('bad')).toHaveLength(0);
  });
});

describe('events', () => {
  test('queue.events() shows ticks and schedule changes', async () => {
    const seen: JobEvent[] = [];
    const subscription = queue.events('sched-ev').subscribe((event) => seen.push(event));
    let round = 0;
    await waitFor(async () => {
      round += 1;
      await queue.schedules.set('watched', { every: 100_000 + round, queue: 'sched-ev' });
      return seen.some((event) => event.type === 'tick');
    }, 'a tick event');
    subscription.unsubscribe();
    const tick = seen.find((event) => event.type === 'tick');
    expect(tick).toMatchObject({ schedule: 'watched', queue: 'sched-ev' });
    expect(tick?.tickAt).toBeInstanceOf(Date);
    expect(seen.some((event) => event.type === 'schedule' && event.change === 'set')).toBe(true);
  });
});
