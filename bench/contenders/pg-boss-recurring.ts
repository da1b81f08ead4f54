import PgBoss from 'pg-boss';
import type { RecurringApi, RecurringRun } from './contender.js';

/** Waits until the next whole minute plus `extraMs`. */
function untilNextMinute(extraMs: number): Promise<void> {
  const wait = 60_000 - (Date.now() % 60_000) + extraMs;
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * pg-boss 10's schedules: one per queue (a schedule is keyed by its queue's name), cron with
 * minute resolution, evaluated by a cron monitor and sent through an internal queue: both at
 * their shortest intervals (1 s); workers poll every 0.5 s (their minimum). A tick's due time is
 * the minute it belongs to. Measured at one minute boundary.
 */
export function pgBossRecurring(url: string): RecurringApi {
  const withBoss = async <T>(
    count: number,
    cron: string,
    handler: (queue: string) => void,
    during: () => Promise<T>,
  ): Promise<T> => {
    const boss = new PgBoss({
      connectionString: url,
      max: 20,
      supervise: false,
      schedule: true,
      cronMonitorIntervalSeconds: 1,
      cronWorkerIntervalSeconds: 1,
    });
    boss.on('error', () => undefined);
    await boss.start();
    try {
      for (let i = 0; i < count; i++) {
        const queue = `tick-${count}-${i}`;
        await boss.createQueue(queue);
        await boss.schedule(queue, cron, { i });
        await boss.work(queue, { pollingIntervalSeconds: 0.5 }, async () => handler(queue));
      }
      return await during();
    } finally {
      for (let i = 0; i < count; i++)
        await boss.unschedule(`tick-${count}-${i}`).catch(() => undefined);
      await boss.stop({ graceful: false, wait: true });
    }
  };
  return {
    scales: [1, 100],
    resolution: '1 min',
    idle: (count, sample) => withBoss(count, '0 0 1 1 *', () => undefined, sample),
    async measure(count): Promise<RecurringRun> {
      const lateness: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      await withBoss(
        count,
        '* * * * *',
        (queue) => {
          const started = Date.now();
          const tick = started - (started % 60_000);
          const key = `${queue}@${tick}`;
          if (seen.has(key)) duplicates++;
          seen.add(key);
          lateness.push(started - tick);
        },
        () => untilNextMinute(15_000),
      );
      return { lateness, duplicates };
    },
  };
}
