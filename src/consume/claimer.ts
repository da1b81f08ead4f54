import type { Context } from '../context.js';
import type { ClaimedJob } from '../types.js';
import { claimBatch, type ResolvedClaimOptions } from './claim.js';
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
  /** The queue's rate limit ran dry: claim again in this many ms. */
  readonly onRetryIn: (ms: number) => void;
  /** A claim or a due-time query failed; a transient failure is retried at the next wake. */
  readonly onError: (error: unknown, during: 'claim' | 'next-due') => void;
}

/** These wakes mean "you may have missed something": also ask for the next delayed job. */
const REFRESHING: ReadonlySet<WakeReason> = new Set(['start', 'poll', 'reconnect', 'due']);

/**
 * Two claims may be in flight at once, each for slots that are free and reserved while it is
 * out: the next batch is being fetched while the previous one is still being handed over, and
 * the worker never holds more jobs than can start.
 */
const MAX_CLAIMS_IN_FLIGHT = 2;

/**
 * Claims jobs when woken, in batches of up to the free capacity. A wake that says jobs may exist
 * (a notification, a poll, a timer, a reconnect) opens the queue; a claim that comes back short
 * closes it, unless another such wake arrived meanwhile. Freed capacity claims only while the
 * queue is open, so an idle queue costs no statement per finished job.
 */
export class Claimer {
  readonly #parts: ClaimerParts;
  readonly #claims = new Set<Promise<void>>();
  #reserved = 0;
  /** Whether jobs may be waiting: the last claim came back full, or a wake said so since. */
  #open = false;
  /** Counts the wakes that open the queue, to tell whether one came during a claim. */
  #wakes = 0;
  #refresh = false;
  /** When (database clock, epoch ms) the last claim that came back short looked for jobs. */
  #lastLookMs: number | null = null;
  #refreshing: Promise<void> | undefined;
  /** A fair queue's cursor: the tenant the last claim ended with. */
  #cursor: string | null = null;
  #deferred = false;
  #stopped = false;

  constructor(parts: ClaimerParts) {
    this.#parts = parts;
  }

  wake(reason: WakeReason): void {
    if (this.#stopped) return;
    if (reason === 'capacity') {
      // Handlers finishing together free their slots one by one in the same turn of the event
      // loop: wait for the turn to end and claim the freed slots in one statement.
      if (this.#deferred || !this.#open) return;
      this.#deferred = true;
      setImmediate(() => {
        this.#deferred = false;
        this.#pump();
      });
      return;
    }
    if (REFRESHING.has(reason)) this.#refresh = true;
    this.#open = true;
    this.#wakes++;
    this.#pump();
  }

  /** Resolves once no claim and no due-time query is in flight. */
  async quiet(): Promise<void> {
    while (this.#claims.size > 0 || this.#refreshing !== undefined) {
      await Promise.all([...this.#claims, this.#refreshing]);
    }
  }

  /** No more claims; resolves when the claims in flight have returned (their jobs handed over). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.quiet();
  }

  #pump(): void {
    while (!this.#stopped && this.#open && this.#claims.size < MAX_CLAIMS_IN_FLIGHT) {
      const batchSize = Math.min(this.#parts.free() - this.#reserved, this.#parts.claim.batchSize);
      if (batchSize <= 0) break;
      this.#reserved += batchSize;
      const claim: Promise<void> = this.#claimOnce(batchSize).finally(() => {
        this.#reserved -= batchSize;
        this.#claims.delete(claim);
        this.#pump();
      });
      this.#claims.add(claim);
    }
    // Only with a free slot: without one, the slot's freeing claims (the queue stays open), and a
    // refresh reporting a job due now would only wake this pump again, in a loop.
    if (this.#claims.size === 0 && this.#refresh && !this.#stopped && this.#parts.free() > 0) {
      this.#refreshNextDue();
    }
  }

  async #claimOnce(batchSize: number): Promise<void> {
    const { ctx, queue, claim, onClaimed } = this.#parts;
    const wakesBefore = this.#wakes;
    try {
      const sentAt = performance.now();
      const result = await claimBatch(ctx, queue, { ...claim, batchSize }, this.#cursor);
      const { jobs } = result;
      if (result.cursor !== null) this.#cursor = result.cursor;
      if (jobs.length > 0) onClaimed(jobs, sentAt);
      if (result.retryInMs !== null) this.#parts.onRetryIn(result.retryInMs);
      // Short: nothing more was due when this claim looked, or the queue's limits allowed no
      // more (a freed slot is announced; a timer waits for the rate limit's next token). Jobs
      // due later are the next refresh's business; a wake that came in meanwhile keeps the queue
      // open. A fair claim may come back short with jobs left, and says so.
      if (jobs.length < batchSize && result.more !== true) {
        this.#lastLookMs = result.dbNowMs;
        if (this.#wakes === wakesBefore) this.#open = false;
      }
    } catch (error) {
      // The database is unreachable or restarting: the next wake (a poll at the latest) retries.
      this.#open = false;
      this.#refresh = true;
      this.#parts.onError(error, 'claim');
    }
  }

  #refreshNextDue(): void {
    if (this.#refreshing !== undefined) return;
    this.#refresh = false;
    this.#refreshing = this.#queryNextDue()
      .catch((error: unknown) => {
        this.#refresh = true; // try again at the next wake
        this.#parts.onError(error, 'next-due');
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
  }

  async #queryNextDue(): Promise<void> {
    const sent = Date.now();
    // Jobs due after the last short claim looked: one that became due since is reported with a
    // due time in the past and claimed at once (a timer can fire a little early, and a claim
    // then finds its job not yet due).
    const [row] = await this.#parts.ctx.run<{ due_in_ms: string | null; db_now_ms: string }>(
      'next_run_at',
      [this.#parts.queue, this.#lastLookMs, this.#parts.claim.tenant],
    );
    if (row === undefined) return;
    // The database read its clock after we sent: database minus send time can only overstate the
    // offset, so a timer armed with it fires early (and refreshes), never late, however long the
    // reply sat behind a busy event loop.
    const clockOffsetMs = Number(row.db_now_ms) - sent;
    const dueAt = row.due_in_ms === null ? null : Date.now() + Number(row.due_in_ms);
    this.#parts.onNextDue({ dueAt, clockOffsetMs });
  }
}
