import { cronOf, type ResolvedTiming } from '../config/schedule-timing.js';
import { MAX_DATE_MS } from '../kernel/validate.js';

/**
 * The ticks of a schedule, computed from a clock that is passed in (the database's, read by the
 * caller), never read here: pure, so that DST transitions and downtime are tested without
 * waiting. Cron ticks follow croner, which follows Vixie cron across DST changes: a time that
 * does not exist (spring forward) runs at the first valid time after the gap, once; a time that
 * occurs twice (fall back) runs once, at its first occurrence, for a fixed-time expression
 * (one value in each of seconds, minutes and hours) and at both for an interval expression
 * (`*`, a step, a range or a list in those fields).
 */

/** The first tick strictly after `after`, or null when there is none (ended, or never again). */
export function nextTick(timing: ResolvedTiming, after: Date): Date | null {
  const afterMs = after.getTime();
  const startMs = timing.startAt?.getTime() ?? null;
  let tickMs: number | null;
  if (timing.everyMs !== null) {
    const anchor = startMs ?? 0;
    tickMs =
      afterMs < anchor
        ? anchor
        : anchor + (Math.floor((afterMs - anchor) / timing.everyMs) + 1) * timing.everyMs;
  } else {
    // A tick exactly at startAt counts: look from just before it.
    const from = startMs !== null && afterMs < startMs ? new Date(startMs - 1) : after;
    tickMs =
      cronOf(timing.cron as string, timing.timezone)
        .nextRun(from)
        ?.getTime() ?? null;
  }
  if (tickMs === null || tickMs > MAX_DATE_MS) return null;
  if (timing.endAt !== null && tickMs > timing.endAt.getTime()) return null;
  return new Date(tickMs);
}

/** The newest `count` ticks in `(from, to]`, oldest first. */
export function ticksBetween(timing: ResolvedTiming, from: Date, to: Date, count: number): Date[] {
  if (count <= 0 || to.getTime() <= from.getTime()) return [];
  const ticks: Date[] = [];
  if (timing.everyMs !== null) {
    // The last tick at or before `to`, then back by whole intervals.
    const first = nextTick(timing, from);
    if (first === null || first.getTime() > to.getTime()) return [];
    const last =
      first.getTime() +
      Math.floor((to.getTime() - first.getTime()) / timing.everyMs) * timing.everyMs;
    for (let ms = last; ms > from.getTime() && ticks.length < count; ms -= timing.everyMs) {
      ticks.push(new Date(ms));
    }
  } else {
    const cron = cronOf(timing.cron as string, timing.timezone);
    for (const tick of cron.previousRuns(count, new Date(to.getTime() + 1))) {
      if (tick.getTime() <= from.getTime()) break;
      if (timing.startAt !== null && tick.getTime() < timing.startAt.getTime()) break;
      if (timing.endAt !== null && tick.getTime() > timing.endAt.getTime()) continue;
      ticks.push(tick);
    }
  }
  return ticks.reverse();
}

/** What the claim of a schedule's waiting tick does, as {@link planAdvance} decides it. */
export interface AdvancePlan {
  /** The jobs to insert: missed ticks to run (misfire `all`), then the next tick. */
  readonly ticks: readonly Date[];
  /** The tick that waits next, or null: the schedule ended (endAt, maxRuns, no more ticks). */
  readonly next: Date | null;
  /** Ticks were missed and the misfire policy is `skip`: the claimed job does not run. */
  readonly misfireSkip: boolean;
  /** How many ticks after the claimed one were missed (due at `now`), for the record. */
  readonly missed: boolean;
}

/**
 * What happens when the job of the waiting tick `waiting` is claimed at `now` (the database's
 * clock): ticks after `waiting` that are already due were missed (no process claimed in time),
 * and the misfire policy decides what runs for them; the first tick after `now` then waits.
 * `runs` is how many tick jobs the schedule has made (for `maxRuns`).
 */
export function planAdvance(
  timing: ResolvedTiming,
  waiting: Date,
  now: Date,
  runs: number,
): AdvancePlan {
  const following = nextTick(timing, waiting);
  const missed = following !== null && following.getTime() <= now.getTime();
  const ticks =
    missed && timing.misfire === 'all'
      ? ticksBetween(timing, waiting, now, timing.misfireCap - 1)
      : [];
  const next = nextTick(timing, now.getTime() < waiting.getTime() ? waiting : now);
  if (next !== null) ticks.push(next);
  const allowed = timing.maxRuns === null ? ticks.length : Math.max(0, timing.maxRuns - runs);
  const made = ticks.slice(0, allowed);
  return {
    ticks: made,
    next: next !== null && made.includes(next) ? next : null,
    misfireSkip: missed && timing.misfire === 'skip',
    missed,
  };
}

/**
 * The first tick of a schedule set, or resumed, at `now`: strictly after it, and after `after`
 * when given (the schedule's last tick, so that a tick never runs twice). Null when the schedule
 * has ended, by its end date, its run count or its expression.
 */
export function firstTick(
  timing: ResolvedTiming,
  now: Date,
  runs: number,
  after: Date | null = null,
): Date | null {
  if (timing.maxRuns !== null && runs >= timing.maxRuns) return null;
  const from = after !== null && after.getTime() > now.getTime() ? after : now;
  return nextTick(timing, from);
}
