import type { Context } from '../db/context.js';
import { retryTransient } from '../db/failure.js';
import type { ClaimedJob } from '../kernel/types.js';
import { newJobIds } from '../produce/job-spec.js';
import { type ScheduleRow, timingOf } from './schedule-row.js';
import { type AdvancePlan, planAdvance } from './ticks.js';

/** What becomes of a claimed tick's job: it runs, or its schedule skipped it (overlap, misfire). */
export type TickOutcome = 'run' | 'skipped';

/** How often a computation is redone when the schedule changed under it. */
const ATTEMPTS = 5;

/** Transient failures (a dropped connection) are retried this often before giving up. */
const RETRIES = { attempts: 4, baseDelayMs: 50 };

/** Whether a claimed job is a schedule's tick, whose claim must move its schedule on. */
export function isTick(job: ClaimedJob): boolean {
  return job.tickAt !== null && job.schedule !== null;
}

/**
 * Moves a claimed tick's schedule on: when the job is the waiting tick's, the jobs of the next
 * tick (and of missed ticks, as the misfire policy says) are inserted, computed from the
 * database's clock read here; the schedule's overlap and misfire policies may skip the job, which
 * is then cancelled unstarted and must not run. Two statements: a read, then a guarded write
 * (schedule_advance()) that reports a conflict when the schedule changed since the read, and the
 * computation is redone. Idempotent: a job claimed again (after a crash, or a retry) moves
 * nothing on a second time.
 */
export async function advanceTick(ctx: Context, job: ClaimedJob): Promise<TickOutcome> {
  const name = job.schedule as string;
  const tick = job.tickAt as Date;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const [row] = await retryTransient(() => ctx.run<ScheduleRow>('schedule_get', [name]), RETRIES);
    if (row?.name == null) return 'run'; // removed: a job already claimed still runs
    const plan = planFor(row, tick);
    const [result] = await retryTransient(
      () =>
        ctx.run<{ outcome: 'run' | 'skipped' | 'conflict' }>('schedule_advance', [
          name,
          job.id,
          job.leaseToken,
          tick,
          row.version,
          plan.ticks,
          newJobIds(plan.ticks.length),
          plan.next,
          plan.misfireSkip,
          ctx.options.maxAttempts,
        ]),
      RETRIES,
    );
    if (result?.outcome === 'run' || result?.outcome === 'skipped') return result.outcome;
  }
  // Changed again and again meanwhile: run the job; whoever changed the schedule armed it.
  return 'run';
}

/** What the claim of `tick`'s job does to the schedule as read. */
function planFor(row: ScheduleRow, tick: Date): AdvancePlan {
  const waiting = row.next_tick_at !== null && row.next_tick_at.getTime() === tick.getTime();
  if (!waiting) return { ticks: [], next: row.next_tick_at, misfireSkip: false, missed: false };
  return planAdvance(timingOf(row), tick, new Date(Number(row.db_now_ms)), Number(row.runs));
}
