import type { ClaimedJob } from './types.js';

/**
 * Claimed ticks whose schedule, as the claim read it, skips no tick (neither `overlap: 'skip'`
 * nor `misfire: 'skip'`): their handler may start before the schedule is moved on. Kept beside
 * the job rather than on it, so that the public job type does not carry it.
 */
const unskippable = new WeakSet<ClaimedJob>();

/** Marks a claimed tick whose schedule skips no tick. */
export function markUnskippable(job: ClaimedJob): void {
  unskippable.add(job);
}

/** Whether the claim found that this tick's schedule skips no tick. */
export function isUnskippable(job: ClaimedJob): boolean {
  return unskippable.has(job);
}
