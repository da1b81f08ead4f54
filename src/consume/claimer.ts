import type { Logger } from '../config.js';
import type { Context } from '../context.js';
import { describeError } from '../settle/outcome.js';
import type { ClaimedJob } from '../types.js';
import { claimJobs, type ResolvedClaimOptions } from './claim.js';
import type { WakeReason } from './wakeups.js';

/** What a claimer reports besides jobs: when the next delayed job is due, on the local clock. */
export interface NextDue {
  /** `Date.now()` ms at which the next delayed or retried job is due; null when none is. */
  readonly dueAt: number | null;
  /** An upper bound of the database clock minus the local clock, in ms. */
  readonly clockOffsetMs: number;
}

/** What a {@link Claimer} works with. */
export interface ClaimerParts {
  readonly ctx: Context;
  readonly queue: string;
  readonly claim: ResolvedClaimOptions;
  /** How many jobs can start right now: never claim more. */
  readonly free: () => number;
  /** Hands claimed jobs over, with the `performance.now()` at which the claim was sent. */
  readonly onClaimed: (jobs: ClaimedJob[], sentAt: number) => void;
  readonly onNextDue: (next: NextDue) => void;
  readonly logger: Logger;
}

/** These wakes mean "you may have missed something": also ask for the next delayed job. */
const REFRESHING: ReadonlySet<WakeReason> = new Set(['start', 'poll', 'reconnect', 'due']);

/**
 * Claims jobs when woken: up to the free capacity in one statement, again while the last batch
 * came back full and capacity remains. Wakes that arrive during a claim are coalesced into one
 * more round, so none is lost and none causes a second concurrent claim.
 */
export class Claimer {
  readonly #parts: ClaimerParts;
  #running: Promise<void> | undefined;
  #again = false;
  #refresh = false;
  #stopped = false;
  #lastWarning = 0;

  constructor(parts: ClaimerParts) {
    this.#parts = parts;
  }

  wake(reason: WakeReason): void {
    if (this.#stopped) return;
    if (REFRESHING.has(reason)) this.#refresh = true;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** No more claims; resolves when a claim in flight has returned (its jobs handed over). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #loop(): Promise<void> {
    const { ctx, queue, claim, free, onClaimed } = this.#parts;
    try {
      do {
        this.#again = false;
        for (;;) {
          const batchSize = Math.min(free(), claim.batchSize);
          if (this.#stopped || batchSize <= 0) break;
          const sentAt = performance.now();
          const jobs = await claimJobs(ctx, queue, { ...claim, batchSize });
          if (jobs.length > 0) onClaimed(jobs, sentAt);
          if (jobs.length < batchSize) break;
        }
        if (this.#refresh && !this.#stopped) {
          this.#refresh = false;
          await this.#refreshNextDue();
        }
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // The database is unreachable or restarting: the next wake (a poll at the latest) retries.
      if (Date.now() - this.#lastWarning > 10_000) {
        this.#lastWarning = Date.now();
        this.#parts.logger.warn(
          `pgpulse: claiming from ${queue} failed; will retry`,
          describeError(error),
        );
      }
      this.#refresh = true;
    }
  }

  async #refreshNextDue(): Promise<void> {
    const sent = Date.now();
    const [row] = await this.#parts.ctx.run<{ due_in_ms: string | null; db_now_ms: string }>(
      'next_run_at',
      [this.#parts.queue],
    );
    const received = Date.now();
    if (row === undefined) return;
    // The database read its clock after we sent: database minus send time can only overstate the
    // offset, so a timer armed with it fires early (and refreshes), never late, however long the
    // reply sat behind a busy event loop.
    const clockOffsetMs = Number(row.db_now_ms) - sent;
    const dueAt = row.due_in_ms === null ? null : received + Number(row.due_in_ms);
    this.#parts.onNextDue({ dueAt, clockOffsetMs });
  }
}
