import type { Context } from '../db/context.js';
import { JOB_STATES, type Job, type JobState, type QueueStats } from '../kernel/types.js';
import {
  checkIdentifier,
  checkInteger,
  checkJobId,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import {
  type CancelResult,
  cancelJob,
  getJob,
  type ListJobsOptions,
  listJobs,
  redriveJobs,
  retryDeadJob,
} from './jobs.js';
import { queueStats } from './stats.js';

/** Jobs seen from outside their workers: read, list, count, cancel, bring back from dead. */
export class JobAdmin {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Cancels a job. A pending job will never run; a running job's holder is refused when it
   * later completes or fails it (cancel wins). Cancelling a cancelled job changes nothing.
   *
   * @throws JobNotFoundError; InvalidStateError for a completed or dead job.
   */
  async cancel(id: string): Promise<CancelResult> {
    return cancelJob(this.#ctx, checkJobId('id', id));
  }

  /**
   * The newest jobs of a queue (not the archive), optionally only some states and one tenant.
   *
   * @example
   * ```ts
   * const dead = await queue.listJobs('emails', { states: ['dead'], limit: 20 });
   * ```
   */
  async listJobs<P = unknown, R = unknown>(
    queue: string,
    options?: ListJobsOptions,
  ): Promise<Job<P, R>[]> {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['states', 'tenant', 'limit']);
    const states = opts.states;
    if (
      states !== undefined &&
      (!Array.isArray(states) ||
        !states.every((s) => (JOB_STATES as readonly unknown[]).includes(s)))
    ) {
      throw invalid('states', `an array of ${JOB_STATES.join(', ')}`, states);
    }
    return listJobs<P, R>(this.#ctx, checkName('queue', queue), {
      states: (states as JobState[] | undefined) ?? null,
      tenant: opts.tenant === undefined ? null : checkIdentifier('tenant', opts.tenant, 256),
      limit: checkInteger('limit', opts.limit ?? 50, 1, 10_000),
    });
  }

  /** Reads a job, also from the archive; null when no job has this id. */
  async getJob<P = unknown, R = unknown>(id: string): Promise<Job<P, R> | null> {
    return getJob<P, R>(this.#ctx, checkJobId('id', id));
  }

  /**
   * Brings a dead job back to pending with a fresh set of attempts.
   *
   * @throws JobNotFoundError; InvalidStateError when it is not dead.
   */
  async retryDead(id: string): Promise<void> {
    return retryDeadJob(this.#ctx, checkJobId('id', id));
  }

  /** Brings a queue's dead jobs (or the given ones) back to pending; returns their ids. */
  async redrive(queue: string, options?: { ids?: string[]; limit?: number }): Promise<string[]> {
    const opts = checkOptionsObject('options', options);
    const ids = opts.ids;
    if (ids !== undefined && !Array.isArray(ids)) throw invalid('ids', 'an array of job ids', ids);
    return redriveJobs(this.#ctx, {
      queue: checkName('queue', queue),
      ids: ids === undefined ? null : ids.map((id, index) => checkJobId(`ids[${index}]`, id)),
      limit: checkInteger('limit', opts.limit ?? 1000, 1, 100_000),
    });
  }

  /** Counts per state and the oldest due job's wait, for one queue or every queue with jobs. */
  stats(): Promise<QueueStats[]>;
  stats(queue: string): Promise<QueueStats>;
  async stats(queue?: string): Promise<QueueStats | QueueStats[]> {
    if (queue === undefined) return queueStats(this.#ctx, null);
    const [stats] = await queueStats(this.#ctx, checkName('queue', queue));
    if (stats === undefined) throw new Error('queue_stats returned no row');
    return stats;
  }
}
