import type { Context } from '../db/context.js';
import { isTransient } from '../db/failure.js';
import { LeaseLostError } from '../kernel/job-errors.js';
import type { SettleOutcome } from './outcome.js';
import {
  type CompleteOutcome,
  completeJobs,
  type FailOutcome,
  type Failure,
  failJobs,
  type Release,
  releaseJobs,
  type TakingCompletion,
} from './settler.js';

interface Pending<Item, Outcome> {
  readonly item: Item;
  /**
   * Until when (`performance.now()` ms) the job's lease may still hold: a settlement that fails
   * for a transient reason is retried until then. Read at each retry: heartbeats push it on.
   */
  readonly deadline: () => number;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Retry delays of a flush that failed for a transient reason: doubling, capped. */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 1000;

/** Without a known lease deadline, a settlement is retried this long. */
const DEFAULT_RETRY_WINDOW_MS = 5000;

/**
 * Collects settlements and writes those that are ready together in one round trip per kind:
 * at idle a settlement goes out on the next turn of the event loop; under load, everything that
 * finished while the previous flush was in flight goes out together in the next one.
 */
export class SettleBatcher {
  readonly #ctx: Context;
  #completions: Pending<TakingCompletion, CompleteOutcome>[] = [];
  #failures: Pending<Failure, FailOutcome>[] = [];
  #releases: Pending<Release, SettleOutcome>[] = [];
  #scheduled = false;
  #flushing: Promise<void> | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Each settlement takes its job's lease deadline (`performance.now()` ms, read again at each
   * retry): while the database cannot be reached, the settlement is retried until then, so a
   * restart shorter than the lease loses no outcome and re-runs no job.
   */
  complete(item: TakingCompletion, deadline?: () => number): Promise<CompleteOutcome> {
    return this.#enqueue(this.#completions, item, deadline);
  }

  fail(item: Failure, deadline?: () => number): Promise<FailOutcome> {
    return this.#enqueue(this.#failures, item, deadline);
  }

  release(item: Release, deadline?: () => number): Promise<SettleOutcome> {
    return this.#enqueue(this.#releases, item, deadline);
  }

  /** Resolves once everything enqueued so far has been written (or has failed). */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#flushing !== undefined || this.#pendingCount() > 0) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await this.#flush();
    }
  }

  #pendingCount(): number {
    return this.#completions.length + this.#failures.length + this.#releases.length;
  }

  #enqueue<Item, Outcome>(
    list: Pending<Item, Outcome>[],
    item: Item,
    deadline?: () => number,
  ): Promise<Outcome> {
    const fallback = performance.now() + DEFAULT_RETRY_WINDOW_MS;
    return new Promise<Outcome>((resolve, reject) => {
      list.push({ item, deadline: deadline ?? (() => fallback), resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  #flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#flushing !== undefined) return this.#flushing;
    const completions = this.#completions;
    const failures = this.#failures;
    const releases = this.#releases;
    this.#completions = [];
    this.#failures = [];
    this.#releases = [];
    this.#flushing = Promise.all([
      settle(completions, (items) => completeJobs(this.#ctx, items)),
      settle(failures, (items) => failJobs(this.#ctx, items)),
      settle(releases, (items) => releaseJobs(this.#ctx, items)),
    ]).then(() => {
      this.#flushing = undefined;
      if (this.#pendingCount() > 0) this.#schedule();
    });
    return this.#flushing;
  }
}

/**
 * Writes one kind of settlement for many jobs in one statement. A transient failure (a dropped
 * connection, a restarting server) is retried with backoff for as long as some job's lease may
 * still hold; a job whose lease has run out by then is given up with a `LeaseLostError` (the
 * sweeper will run it again); a permanent failure rejects at once.
 */
async function settle<Item extends { job: { id: string } }, Outcome>(
  pending: Pending<Item, Outcome>[],
  write: (items: Item[]) => Promise<Outcome[]>,
): Promise<void> {
  let waiting = pending;
  for (let attempt = 1; waiting.length > 0; attempt++) {
    try {
      const outcomes = await write(waiting.map((entry) => entry.item));
      waiting.forEach((entry, index) => {
        entry.resolve(outcomes[index] as Outcome);
      });
      return;
    } catch (error) {
      if (!isTransient(error)) {
        for (const entry of waiting) entry.reject(error);
        return;
      }
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
      const retryAt = performance.now() + delay;
      const [alive, expired] = partition(waiting, (entry) => entry.deadline() > retryAt);
      for (const entry of expired) {
        const { id } = entry.item.job;
        entry.reject(
          new LeaseLostError(
            id,
            'unknown',
            `The outcome of job ${id} could not be recorded before its lease ran out ` +
              '(the database was unreachable); it will run again',
            { cause: error },
          ),
        );
      }
      waiting = alive;
      if (waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function partition<T>(items: readonly T[], keep: (item: T) => boolean): [T[], T[]] {
  const kept: T[] = [];
  const dropped: T[] = [];
  for (const item of items) (keep(item) ? kept : dropped).push(item);
  return [kept, dropped];
}
