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

/** The tick whose claim (or repair) moves a schedule on. */
interface TickRef {
  readonly schedule: string;
  readonly tickAt: Date;
  /** The tick's job, or null when it is gone. */
  readonly jobId: string | null;
  /** The claimer's lease token; null when repairing (nothing is cancelled then). */
  readonly leaseToken: string | null;
  /** The job's handler already started: it runs whatever the policies say (never skipped). */
  readonly started: boolean;
}

/**
 * Moves a claimed tick's schedule on: when the job is the waiting tick's, the jobs of the next
 * tick (and of missed ticks, as the misfire policy says) are inserted, computed from the
 * database's clock read here; the schedule's overlap and misfire policies may skip the job, which
 * is then cancelled unstarted and must not run. Two statements: a read, then a guarded write
 * (schedule_advance()) that reports a conflict when the schedule changed since the read, and the
 * computation is redone. Idempotent: a job claimed again (after a crash, or a retry) moves
 * nothing on a second time. With `started` (the caller knew the schedule skips no tick and
 * started the handler already), the job is never skipped, even if the policies changed meanwhile.
 */
export function advanceTick(ctx: Context, job: ClaimedJob, started = false): Promise<TickOutcome> {
  return advance(ctx, {
    schedule: job.schedule as string,
    tickAt: job.tickAt as Date,
    jobId: job.id,
    leaseToken: job.leaseToken,
    started,
  });
}

/** Stalled schedules looked at in one pass. */
const REPAIR_BATCH = 100;

/** A waiting tick's job finished unmoved this long ago at least before it counts as stalled. */
const STALL_GRACE_MS = 1000;

/**
 * Repairs the stalled schedules of a queue: those whose waiting tick's job is gone (purged) or
 * finished without moving the schedule on (cancelled by hand, or run by an older release), which
 * no claim would ever move on again. Each is moved on as the claim of that tick would have
 * (missed ticks follow the misfire policy). Returns how many were repaired.
 */
export async function repairStalled(ctx: Context, queue: string): Promise<number> {
  const stalled = await ctx.run<{ name: string; next_tick_at: Date; job_id: string | null }>(
    'schedule_stalled',
    [queue, STALL_GRACE_MS, REPAIR_BATCH],
  );
  for (const row of stalled) {
    await advance(ctx, {
      schedule: row.name,
      tickAt: row.next_tick_at,
      jobId: row.job_id,
      leaseToken: null,
      started: false,
    });
  }
  return stalled.length;
}

async function advance(ctx: Context, tick: TickRef): Promise<TickOutcome> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const [row] = await retryTransient(
      () => ctx.run<ScheduleRow>('schedule_get', [tick.schedule]),
      RETRIES,
    );
    if (row?.name == null) return 'run'; // removed: a job already claimed still runs
    const plan = planFor(row, tick.tickAt);
    const [result] = await retryTransient(
      () =>
        ctx.run<{ outcome: 'run' | 'skipped' | 'conflict' }>('schedule_advance', [
          tick.schedule,
          tick.jobId,
          tick.leaseToken,
          tick.tickAt,
          row.version,
          plan.ticks,
          newJobIds(plan.ticks.length),
          plan.next,
          plan.misfireSkip && !tick.started,
          ctx.options.maxAttempts,
          !tick.started,
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
