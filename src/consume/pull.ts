import { type ClaimOptions, claimJobs, resolveClaimOptions } from '../claim/claim.js';
import type { Context } from '../db/context.js';
import { describeError } from '../kernel/error-record.js';
import type { ClaimedJob, FailingJob, LeasedJob } from '../kernel/types.js';
import { checkInteger, checkName, checkOptionsObject, invalid } from '../kernel/validate.js';
import { checkLeasedJob, checkLeaseOption } from '../lease/leased-job.js';
import { type HeartbeatOutcome, renewLeases } from '../lease/renew.js';
import { advanceTick, isTick } from '../schedule/advance.js';
import type { SettleOutcome } from '../settle/outcome.js';
import {
  type Completion,
  completeJobs,
  type FailOutcome,
  type Failure,
  failJobs,
  type Release,
  releaseJobs,
} from '../settle/settler.js';

/**
 * The explicit, pull-based job API: claim jobs and settle them yourself. Every call after a
 * claim presents the job's lease token, so a caller that lost its lease can never overwrite a
 * newer attempt.
 */
export class PullApi {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Claims up to `batchSize` due jobs, highest priority first, leasing each to the caller for
   * `leaseMs`. Settle each with `complete`, `fail` or `release`, renewing long leases with
   * `heartbeat`.
   */
  async claim<P = unknown>(queue: string, options?: ClaimOptions): Promise<ClaimedJob<P>[]> {
    const resolved = resolveClaimOptions(options, this.#ctx.options);
    const jobs = await claimJobs<P>(this.#ctx, checkName('queue', queue), resolved);
    if (!jobs.some(isTick)) return jobs;
    // A schedule's tick moves its schedule on; one its schedule skipped is not handed out, and
    // one whose schedule could not be moved on goes back to pending a second later.
    const kept = await Promise.all(
      jobs.map(async (job) => {
        if (!isTick(job)) return true;
        try {
          return (await advanceTick(this.#ctx, job)) === 'run';
        } catch (error) {
          await releaseJobs(this.#ctx, [{ job, delayMs: 1000 }]).catch(() => undefined);
          this.#ctx.options.logger.warn(
            `pgpulse: could not move schedule ${job.schedule} on; its job ${job.id} goes back to pending`,
            { scope: 'pgpulse.schedule', queue, jobId: job.id, error: describeError(error) },
          );
          return false;
        }
      }),
    );
    return jobs.filter((_, index) => kept[index]);
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
    const leaseMs = checkLeaseOption(options, this.#ctx.options.leaseMs);
    return renewLeases(this.#ctx, this.#checkJobs(jobs, 'jobs'), leaseMs);
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
    return completeJobs(this.#ctx, items);
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
    return failJobs(this.#ctx, items);
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
    return releaseJobs(this.#ctx, items);
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
