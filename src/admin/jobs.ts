import type { Context } from '../db/context.js';
import { type JobRow, toJob } from '../db/rows.js';
import { InvalidStateError, JobNotFoundError } from '../kernel/job-errors.js';
import type { Job, JobState } from '../kernel/types.js';

/** Reads a job by id, also from the archive; null when there is none. */
export async function getJob<P, R>(ctx: Context, id: string): Promise<Job<P, R> | null> {
  const [row] = await ctx.run<JobRow>('get_job', [id]);
  return row === undefined ? null : toJob<P, R>(row);
}

/** Options of `queue.listJobs()`. */
export interface ListJobsOptions {
  /** Only jobs in these states. Default: every state. */
  states?: JobState[];
  /** Only this tenant's jobs. */
  tenant?: string;
  /** Most jobs to return, newest first. Default 50, at most 10,000. */
  limit?: number;
}

/** The newest jobs of a queue, optionally of some states and one tenant. */
export async function listJobs<P, R>(
  ctx: Context,
  queue: string,
  options: { states: JobState[] | null; tenant: string | null; limit: number },
): Promise<Job<P, R>[]> {
  const rows = await ctx.run<JobRow>('list_jobs', [
    queue,
    options.states,
    options.tenant,
    options.limit,
  ]);
  return rows.map((row) => toJob<P, R>(row));
}

/** What `queue.cancel()` did. */
export interface CancelResult {
  id: string;
  /** The state the job was in: `pending` or `running` if this call cancelled it. */
  previousState: JobState;
}

interface CancelRow {
  previous_state: JobState;
  cancelled: boolean;
}

/**
 * Cancels a pending or running job; cancelling a cancelled job changes nothing.
 *
 * @throws JobNotFoundError, or InvalidStateError for a completed or dead job.
 */
export async function cancelJob(ctx: Context, id: string): Promise<CancelResult> {
  const [row] = await ctx.run<CancelRow>('cancel_job', [id]);
  if (row === undefined) throw new JobNotFoundError(id);
  if (!row.cancelled && row.previous_state !== 'cancelled') {
    throw new InvalidStateError(
      id,
      row.previous_state,
      `Job ${id} is ${row.previous_state}: only pending or running jobs can be cancelled`,
    );
  }
  return { id, previousState: row.previous_state };
}

/** Which dead jobs {@link redriveJobs} brings back. */
export interface RedriveSelection {
  queue: string | null;
  ids: readonly string[] | null;
  limit: number;
}

/** Brings dead jobs back to pending with fresh attempts; returns their ids. */
export async function redriveJobs(ctx: Context, selection: RedriveSelection): Promise<string[]> {
  const rows = await ctx.run<{ id: string }>('redrive_jobs', [
    selection.queue,
    selection.ids,
    selection.limit,
  ]);
  return rows.map((row) => row.id);
}

/**
 * Brings one dead job back to pending with fresh attempts.
 *
 * @throws JobNotFoundError; InvalidStateError when the job is not dead, or when an unfinished
 *   job now holds its idempotency key.
 */
export async function retryDeadJob(ctx: Context, id: string): Promise<void> {
  const [redriven] = await redriveJobs(ctx, { queue: null, ids: [id], limit: 1 });
  if (redriven !== undefined) return;
  const job = await getJob(ctx, id);
  if (job === null) throw new JobNotFoundError(id);
  if (job.state !== 'dead' || job.archived) {
    throw new InvalidStateError(
      id,
      job.state,
      `Job ${id} is ${job.archived ? 'archived' : job.state}: only dead jobs can be retried`,
    );
  }
  throw new InvalidStateError(
    id,
    job.state,
    `Job ${id} cannot be retried: an unfinished job of queue ${job.queue} holds its idempotency key`,
  );
}
