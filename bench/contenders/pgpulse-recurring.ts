import type { Queue } from '../../src/index.js';
import type { RecurringApi, RecurringRun } from './contender.js';

/** How many schedules are set at once while setting up (each `set` is one transaction). */
const SETUP_PARALLEL = 16;

/** Runs `task(i)` for i in [0, count), SETUP_PARALLEL at a time. */
async function forEach(count: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SETUP_PARALLEL, count) }, async () => {
      while (next < count) {
        const i = next++;
        await task(i);
      }
    }),
  );
}

/** Removes the schedules and jobs of a queue behind the API's back (the database is the bench's). */
async function wipe(queue: Queue, name: string): Promise<void> {
  await queue.pool.query('DELETE FROM pgpulse.schedules WHERE queue = $1', [name]);
  await queue.pool.query('DELETE FROM pgpulse.jobs WHERE queue = $1', [name]);
  await queue.pool.query('DELETE FROM pgpulse.jobs_done WHERE queue = $1', [name]);
}

/**
 * pgpulse's schedules: `count` interval schedules whose ticks are spread evenly over time, a tick
 * every 20 ms in all (50 ticks/s), or one schedule every 100 ms (the shortest interval allowed);
 * a worker (`queue.work`, concurrency 16, LISTEN plus a 1 s fallback poll) runs them.
 */
export function pgpulseRecurring(queue: Queue): RecurringApi {
  return {
    scales: [1, 100, 10_000],
    resolution: '1 ms (intervals of at least 100 ms, cron to the second)',
    async idle(count, sample) {
      const name = `idle-${count}`;
      const startAt = new Date(Date.now() + 3_600_000);
      await forEach(count, (i) =>
        queue.schedules.set(`${name}-${i}`, { every: '1h', startAt, queue: name }),
      );
      const worker = queue.work(name, () => undefined, { concurrency: 16 });
      try {
        await worker.ready;
        return await sample();
      } finally {
        await worker.stop();
        await wipe(queue, name);
      }
    },
    async measure(count, windowMs): Promise<RecurringRun> {
      const name = `ticks-${count}`;
      const periodMs = count === 1 ? 100 : count * 20;
      // Phases spread evenly over the period, from a second ahead: schedule i first ticks at
      // anchor + 20i ms, after it was set as long as setting one takes less than 20 ms (16 in
      // parallel), so that no tick falls due before the worker runs and none waits in a backlog.
      const anchor = Date.now() + 1000;
      const lateness: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      let from = Number.POSITIVE_INFINITY;
      let until = Number.POSITIVE_INFINITY;
      const worker = queue.work(
        name,
        (job) => {
          const started = Date.now();
          const tick = job.tickAt?.getTime() ?? 0;
          const key = `${job.schedule}@${tick}`;
          if (seen.has(key)) duplicates++;
          seen.add(key);
          // Only ticks due once the worker was ready, within the window, are measured.
          if (tick >= from && tick < until) lateness.push(started - tick);
        },
        { concurrency: 16 },
      );
      let recorded: number[] = [];
      try {
        await worker.ready;
        await forEach(count, (i) =>
          queue.schedules.set(`${name}-${i}`, {
            every: periodMs,
            startAt: new Date(anchor + Math.floor((i * periodMs) / count)),
            queue: name,
            misfire: 'all',
          }),
        );
        // Only ticks due once every schedule is set are measured: setting them loads the machine.
        from = Date.now() + 500;
        until = from + windowMs;
        await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 1000));
        await worker.stop();
        // The job's start as its claim recorded it, wherever
        // the job is now (a completed one is in jobs_done).
        const { rows } = await queue.pool.query<{ ms: number }>(
          `SELECT extract(epoch FROM started_at - tick_at) * 1000 AS ms FROM pgpulse.all_jobs
           WHERE queue = $1 AND tick_at >= $2 AND tick_at < $3 AND started_at IS NOT NULL`,
          [name, new Date(from), new Date(until)],
        );
        recorded = rows.map((row) => Number(row.ms));
      } finally {
        await worker.stop();
        await wipe(queue, name);
      }
      return { lateness, duplicates, recorded };
    },
  };
}
