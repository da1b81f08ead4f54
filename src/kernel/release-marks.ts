import type { ClaimedJob } from './types.js';

/**
 * Claimed jobs whose completion may release children (a job of a flow, or one a later job
 * depends on): their worker keeps the slot until the completion returns, for a child the
 * completion may hand it (migration 0020). Kept beside the job rather than on it, so that the
 * public job type does not carry it.
 */
const releasing = new WeakSet<ClaimedJob>();

/** Marks a claimed job whose completion may release children. */
export function markMayRelease(job: ClaimedJob): void {
  releasing.add(job);
}

/** Whether the claim found that this job's completion may release children. */
export function mayRelease(job: ClaimedJob): boolean {
  return releasing.has(job);
}
