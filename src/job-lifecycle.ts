import {
  type CancelResult,
  cancelJob,
  getJob,
  type ListJobsOptions,
  listJobs,
  redriveJobs,
  retryDeadJob,
} from './admin/jobs.js';
import { queueStats } from './admin/stats.js';
import { type ClaimOptions, claimJobs, resolveClaimOptions } from './claim/claim.js';
import type { ResolvedQueueOptions } from './config/options.js';
import type { Context } from './db/context.js';
import {
  type ClaimedJob,
  type FailingJob,
  JOB_STATES,
  type Job,
  type JobState,
  type LeasedJob,
  type QueueStats,
} from './kernel/types.js';
import {
  checkIdentifier,
  checkInteger,
  checkJobId,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from './kernel/validate.js';
import { checkLeasedJob, checkLeaseOption } from './lease/leased-job.js';
import { type HeartbeatOutcome, renewLeases } from './lease/renew.js';
import { type PruneResult, Retention, type RetentionOptions } from './maintain/retention.js';
import { type ReclaimedJob, Sweeper } from './maintain/sweeper.js';
import type { SettleOutcome } from './settle/outcome.js';
import {
  type Completion,
  completeJobs,
  type FailOutcome,
  type Failure,
  failJobs,
  type Release,
  releaseJobs,
} from './settle/settler.js';

/**
 * The explicit, pull-based job API of a {@link Queue}: claim jobs and settle them yourself,
 * inspect, cancel and redrive them, and run maintenance. Every call after a claim presents the
 * job's lease token, so a worker that lost its lease can never overwrite a newer attempt.
 */
export abstract class JobLifecycle {
  /** The validated options, with defaults filled in. */
  readonly options: ResolvedQueueOptions;
  /** @internal Shared by every part of the queue. */
  protected readonly ctx: Context;
  /** @internal Sweepers and retention tasks to stop on close. */
  protected readonly tasks = new Set<{ stop(): Promise<void> }>();

  protected constructor(ctx: Context) {
    this.ctx = ctx;
    this.options = ctx.options;
  }

  /**
   * Claims up to `batchSize` due jobs, highest priority first, leasing each to the caller for
   * `leaseMs`. Settle each with `complete`, `fail` or `release`, renewing long leases with
   * `heartbeat`.
   */
  async claim<P = unknown>(queue: string, options?: ClaimOptions): Promise<ClaimedJob<P>[]> {
    const resolved = resolveClaimOptions(options, this.options);
    return claimJobs<P>(this.ctx, checkName('queue', queue), resolved);
  }

  /**
   * Extends one job's lease to `leaseMs` from now.
   *
   * @returns the new expiry.
   * @throws LeaseLostError, JobCancelledError or JobNotFoundError: stop working on the job.
   */
  async heartbeat(job: LeasedJob, options?: { leaseMs?: number }): Promise<Date> {
    const [outcome] = await this.heartbeatMany([job], options);
    if (outcome === undefined) throw new Error('heartbeat_jobs returned no row');
    if (!outcome.ok) throw outcome.error;
    return outcome.leaseExpiresAt;
  }

  /** Extends many leases in one statement; reports per job instead of throwing. */
  async heartbeatMany(
    jobs: readonly LeasedJob[],
    options?: { leaseMs?: number },
  ): Promise<HeartbeatOutcome[]> {
    const leaseMs = checkLeaseOption(options, this.options.leaseMs);
    return renewLeases(this.ctx, this.#checkJobs(jobs, 'jobs'), leaseMs);
  }

  /**
   * Completes a job and stores `result` (JSON; default null).
   *
   * @throws LeaseLostError when the lease was lost, JobCancelledError when the job was cancelled
   *   (cancel wins), ValidationError for a result that is not storable JSON.
   */
  async complete(job: LeasedJob, result?: unknown): Promise<void> {
    const [outcome] = await this.completeMany([{ job, result }]);
    if (outcome !== undefined && !outcome.ok) throw outcome.error;
  }

  /** Completes many jobs in one statement; reports per job instead of throwing. */
  async completeMany(items: readonly Completion[]): Promise<SettleOutcome[]> {
    this.#checkJobs(
      items.map((item) => item?.job),
      'items',
    );
    return completeJobs(this.ctx, items);
  }

  /**
   * Records a failed attempt: the job is retried after its backoff delay, or goes to dead when
   * `retryable` is false, `error` is a NonRetryableError, or its attempts are used up.
   *
   * @returns where the job went.
   * @throws LeaseLostError, JobCancelledError or JobNotFoundError.
   */
  async fail(
    job: FailingJob,
    error: unknown,
    options?: { retryable?: boolean },
  ): Promise<{ state: 'pending' | 'dead'; runAt: Date }> {
    const retryable = checkOptionsObject('options', options).retryable;
    if (retryable !== undefined && typeof retryable !== 'boolean') {
      throw invalid('retryable', 'a boolean', retryable);
    }
    const [outcome] = await this.failMany([
      { job, error, retryable: retryable as boolean | undefined },
    ]);
    if (outcome === undefined) throw new Error('fail_jobs returned no row');
    if (!outcome.ok) throw outcome.error;
    return { state: outcome.state, runAt: outcome.runAt };
  }

  /** Records many failures in one statement; reports per job instead of throwing. */
  async failMany(items: readonly Failure[]): Promise<FailOutcome[]> {
    this.#checkJobs(
      items.map((item) => item?.job),
      'items',
      true,
    );
    return failJobs(this.ctx, items);
  }

  /**
   * Gives a job back without spending an attempt, due again at once (keeping its place in line)
   * or after `delayMs`.
   *
   * @throws LeaseLostError, JobCancelledError or JobNotFoundError.
   */
  async release(job: LeasedJob, options?: { delayMs?: number }): Promise<void> {
    const delayMs = checkOptionsObject('options', options).delayMs;
    const [outcome] = await this.releaseMany([
      { job, ...(delayMs === undefined ? {} : { delayMs: delayMs as number }) },
    ]);
    if (outcome !== undefined && !outcome.ok) throw outcome.error;
  }

  /** Releases many jobs in one statement; reports per job instead of throwing. */
  async releaseMany(items: readonly Release[]): Promise<SettleOutcome[]> {
    this.#checkJobs(
      items.map((item) => item?.job),
      'items',
    );
    items.forEach((item, index) => {
      if (item.delayMs !== undefined)
        checkInteger(`items[${index}].delayMs`, item.delayMs, 0, 2 ** 31);
    });
    return releaseJobs(this.ctx, items);
  }

  /**
   * Cancels a job. A pending job will never run; a running job's holder is refused when it
   * later completes or fails it (cancel wins). Cancelling a cancelled job changes nothing.
   *
   * @throws JobNotFoundError; InvalidStateError for a completed or dead job.
   */
  async cancel(id: string): Promise<CancelResult> {
    return cancelJob(this.ctx, checkJobId('id', id));
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
    return listJobs<P, R>(this.ctx, checkName('queue', queue), {
      states: (states as JobState[] | undefined) ?? null,
      tenant: opts.tenant === undefined ? null : checkIdentifier('tenant', opts.tenant, 256),
      limit: checkInteger('limit', opts.limit ?? 50, 1, 10_000),
    });
  }

  /** Reads a job, also from the archive; null when no job has this id. */
  async getJob<P = unknown, R = unknown>(id: string): Promise<Job<P, R> | null> {
    return getJob<P, R>(this.ctx, checkJobId('id', id));
  }

  /**
   * Brings a dead job back to pending with a fresh set of attempts.
   *
   * @throws JobNotFoundError; InvalidStateError when it is not dead.
   */
  async retryDead(id: string): Promise<void> {
    return retryDeadJob(this.ctx, checkJobId('id', id));
  }

  /** Brings a queue's dead jobs (or the given ones) back to pending; returns their ids. */
  async redrive(queue: string, options?: { ids?: string[]; limit?: number }): Promise<string[]> {
    const opts = checkOptionsObject('options', options);
    const ids = opts.ids;
    if (ids !== undefined && !Array.isArray(ids)) throw invalid('ids', 'an array of job ids', ids);
    return redriveJobs(this.ctx, {
      queue: checkName('queue', queue),
      ids: ids === undefined ? null : ids.map((id, index) => checkJobId(`ids[${index}]`, id)),
      limit: checkInteger('limit', opts.limit ?? 1000, 1, 100_000),
    });
  }

  /** Counts per state and the oldest due job's wait, for one queue or every queue with jobs. */
  stats(): Promise<QueueStats[]>;
  stats(queue: string): Promise<QueueStats>;
  async stats(queue?: string): Promise<QueueStats | QueueStats[]> {
    if (queue === undefined) return queueStats(this.ctx, null);
    const [stats] = await queueStats(this.ctx, checkName('queue', queue));
    if (stats === undefined) throw new Error('queue_stats returned no row');
    return stats;
  }

  /** One sweeper pass: requeues jobs whose lease expired (or kills those out of attempts). */
  async reclaimExpired(): Promise<ReclaimedJob[]> {
    return new Sweeper(this.ctx).runOnce();
  }

  /** One retention pass: deletes or archives finished jobs older than the cutoff. */
  async prune(options?: RetentionOptions): Promise<PruneResult> {
    return new Retention(this.ctx, options).runOnce();
  }

  /** @internal Remembers a task so that `close()` stops it. */
  protected track<T extends { stop(): Promise<void> }>(task: T): T {
    this.tasks.add(task);
    return task;
  }

  #checkJobs<J extends LeasedJob>(
    jobs: readonly (J | undefined)[],
    field: string,
    failing = false,
  ): J[] {
    if (!Array.isArray(jobs)) throw invalid(field, 'an array', jobs);
    return jobs.map((job, index) => checkLeasedJob(`${field}[${index}]`, job, failing));
  }
}
