import { Logger, type Runner, run } from 'graphile-worker';
import type { RecurringApi, RecurringRun } from './contender.js';

const silent = new Logger(() => () => undefined);
const TASK = 'bench_tick';

/** Waits until the next whole minute plus `extraMs`. */
function untilNextMinute(extraMs: number): Promise<void> {
  const wait = 60_000 - (Date.now() % 60_000) + extraMs;
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * graphile-worker 0.17's crontab: minute resolution (its cron fields start at the minute), each
 * entry a line with its own identifier; the runner enqueues each tick's job with `runAt` at the
 * minute and LISTEN/NOTIFY wakes the worker (pollInterval at its default, 2 s: a cron job is
 * inserted when due and announced, so polling faster would only cost idle statements).
 * Measured at one minute boundary: every schedule ticks then.
 */
export function graphileRecurring(url: string): RecurringApi {
  const start = async (crontab: string, task: (payload: unknown) => void): Promise<Runner> =>
    run({
      connectionString: url,
      concurrency: 16,
      maxPoolSize: 20,
      pollInterval: 2000,
      noHandleSignals: true,
      logger: silent,
      crontab,
      taskList: {
        [TASK]: async (payload) => {
          task(payload);
        },
      },
    });
  const lines = (count: number, when: string) =>
    Array.from(
      { length: count },
      (_, i) => `${when} ${TASK} ?id=tick_${count}_${i} {"i":${i}}`,
    ).join('\n');
  return {
    scales: [1, 100],
    resolution: '1 min',
    async idle(count, sample) {
      // Yearly: nothing falls due while measured.
      const runner = await start(lines(count, '0 0 1 1 *'), () => undefined);
      try {
        return await sample();
      } finally {
        await runner.stop();
      }
    },
    async measure(count): Promise<RecurringRun> {
      const lateness: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      const runner = await start(lines(count, '* * * * *'), (payload) => {
        const started = Date.now();
        const { i, _cron } = payload as { i: number; _cron: { ts: string } };
        const key = `${i}@${_cron.ts}`;
        if (seen.has(key)) duplicates++;
        seen.add(key);
        lateness.push(started - Date.parse(_cron.ts));
      });
      try {
        await untilNextMinute(5_000);
      } finally {
        await runner.stop();
      }
      return { lateness, duplicates };
    },
  };
}
