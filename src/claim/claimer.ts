import type { Context } from '../db/context.js';
import type { ClaimedJob } from '../kernel/types.js';
import type { WakeReason } from '../wake/wakeups.js';
import { type ClaimRoute, claimBatch, type ResolvedClaimOptions } from './claim.js';

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
  /**
   * Claim jobs due within this many ms too (0: due jobs only), for the consumer to start each on
   * a local timer when it is due: the claim's round trip then does not make it late.
   */
  readonly aheadMs?: number;
  /**
   * Hands claimed jobs over, with the `performance.now()` at which the claim was sent and the
   * database's clock when it looked (epoch ms): a job whose `runAt` is later was claimed ahead.
   */
  readonly onClaimed: (jobs: ClaimedJob[], sentAt: number, dbNowMs: number) => void;
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
 * Where a claimer stands.
 * - `closed`: the last claim came back short and nothing said since that jobs may be waiting;
 *   freed capacity does not claim, so an idle queue costs no statement per finished job.
 * - `open`: jobs may be waiting (a wake said so, or the last claim came back full): claims run
 *   while capacity is free, up to {@link MAX_CLAIMS_IN_FLIGHT} at once.
 * - `stopped`: no claim starts any more; those in flight finish and hand their jobs over.
 */
export type ClaimerState = 'closed' | 'open' | 'stopped';

/** The transitions a claimer may make; anything else is a bug, and throws. */
const TRANSITIONS: Readonly<Record<ClaimerState, readonly ClaimerState[]>> = {
  closed: ['open', 'stopped'],
  open: ['closed', 'stopped'],
  stopped: [],
};

/**
 * Claims jobs when woken, in batches of up to the free capacity. A wake that says jobs may exist
 * (a notification, a poll, a timer, a reconnect) opens the queue; a claim that comes back short
 * closes it, unless another such wake arrived meanwhile (the wake count tells). A claim that
 * fails closes it too, and asks for a refresh at the next wake.
 */
export class Claimer {
  readonly #parts: ClaimerParts;
  #state: ClaimerState = 'closed';
  readonly #claims = new Set<Promise<void>>();
  /** Slots promised to the claims in flight. */
  #reserved = 0;
  /** Counts the wakes that open the queue, to tell whether one came during a claim. */
  #wakes = 0;
  /** Which claim statement the next claim takes (see {@link ClaimRoute}). */
  readonly #route: ClaimRoute = { shaped: false };
  /** Whether the next quiet moment should ask for the next delayed job's due time. */
  #refresh = false;
  /**
   * The latest due time (database clock, epoch ms) the last claim that came back short looked
   * at: jobs due later were not visible to it.
   */
  #lastLookMs: number | null = null;
  /**
   * The latest due time (database clock, epoch ms) a notification announced that no claim has
   * looked past yet: a notice can look due on the local clock a few ms before it is on the
   * database's (the clock offset errs early), and its claim then comes back short.
   */
  #announcedMs: number | null = null;
  #refreshing: Promise<void> | undefined;
  /** A fair queue's cursor: the tenant the last claim ended with. */
  #cursor: string | null = null;
  /** A claim for freed capacity is set for the end of this turn of the event loop. */
  #deferred = false;
  /** How far ahead of the clock the last claim looked (0 for a fair or grouped queue). */
  #aheadMs: number;

  constructor(parts: ClaimerParts) {
    this.#parts = parts;
    this.#aheadMs = parts.aheadMs ?? 0;
  }

  /**
   * How many ms before a job is due a claim takes it: a timer for a delayed job should wake the
   * claimer that much earlier. The queue's last claim tells (a fair or grouped queue claims due
   * jobs only, and a wake before then would find nothing).
   */
  get aheadMs(): number {
    return this.#aheadMs;
  }

  /** Where the claimer stands (see {@link ClaimerState}). */
  get state(): ClaimerState {
    return this.#state;
  }

  wake(reason: WakeReason): void {
    if (this.#state === 'stopped') return;
    if (reason === 'capacity') {
      // Handlers finishing together free their slots one by one in the same turn of the event
      // loop: wait for the turn to end and claim the freed slots in one statement.
      if (this.#deferred || this.#state !== 'open') return;
      this.#deferred = true;
      setImmediate(() => {
        this.#deferred = false;
        this.#pump();
      });
      return;
    }
    if (REFRESHING.has(reason)) this.#refresh = true;
    this.#to('open');
    this.#wakes++;
    this.#pump();
  }

  /**
   * A notification announced jobs due at `runAtMs` (database clock). If the claims it wakes come
   * back short having looked before that time, the next quiet moment asks for the next due time,
   * so a timer is armed for them instead of leaving them to the poll.
   */
  announced(runAtMs: number): void {
    if (this.#announcedMs === null || runAtMs > this.#announcedMs) this.#announcedMs = runAtMs;
  }

  /** Resolves once no claim and no due-time query is in flight. */
  async quiet(): Promise<void> {
    while (this.#claims.size > 0 || this.#refreshing !== undefined) {
      await Promise.all([...this.#claims, this.#refreshing]);
    }
  }

  /** No more claims; resolves when the claims in flight have returned (their jobs handed over). */
  async stop(): Promise<void> {
    this.#to('stopped');
    await this.quiet();
  }

  /** Moves to `next`; staying is allowed, a transition the table lacks throws. */
  #to(next: ClaimerState): void {
    if (next === this.#state) return;
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`Claimer cannot go from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  #pump(): void {
    while (this.#state === 'open' && this.#claims.size < MAX_CLAIMS_IN_FLIGHT) {
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
    if (
      this.#claims.size === 0 &&
      this.#refresh &&
      this.#state !== 'stopped' &&
      this.#parts.free() > 0
    ) {
      this.#refreshNextDue();
    }
  }

  async #claimOnce(batchSize: number): Promise<void> {
    const { ctx, queue, claim, onClaimed } = this.#parts;
    const wakesBefore = this.#wakes;
    try {
      const sentAt = performance.now();
      const result = await claimBatch(
        ctx,
        queue,
        { ...claim, batchSize },
        this.#cursor,
        this.#parts.aheadMs ?? 0,
        this.#route,
      );
      const { jobs } = result;
      if (result.cursor !== null) this.#cursor = result.cursor;
      this.#aheadMs = Math.max(0, result.lookedUntilMs - result.dbNowMs);
      if (jobs.length > 0) onClaimed(jobs, sentAt, result.dbNowMs);
      if (result.retryInMs !== null) this.#parts.onRetryIn(result.retryInMs);
      // Short: nothing more was due when this claim looked, or the queue's limits allowed no
      // more (a freed slot is announced; a timer waits for the rate limit's next token). Jobs
      // due later are the next refresh's business; a wake that came in meanwhile keeps the queue
      // open. A fair claim may come back short with jobs left, and says so.
      if (jobs.length < batchSize && result.more !== true) {
        this.#lastLookMs = result.lookedUntilMs;
        if (this.#announcedMs !== null) {
          // An announced job this claim could not see yet: look up when it is due.
          if (this.#announcedMs > result.lookedUntilMs) this.#refresh = true;
          this.#announcedMs = null;
        }
        if (this.#wakes === wakesBefore && this.#state === 'open') this.#to('closed');
      }
    } catch (error) {
      // The database is unreachable or restarting: the next wake (a poll at the latest) retries.
      if (this.#state === 'open') this.#to('closed');
      this.#refresh = true;
      this.#parts.onError(error, 'claim');
    }
  }

  #refreshNextDue(): void {
    if (this.#refreshing !== undefined) return;
    this.#refresh = false;
    let failed = false;
    this.#refreshing = this.#queryNextDue()
      .catch((error: unknown) => {
        failed = true;
        this.#refresh = true; // try again at the next wake
        this.#parts.onError(error, 'next-due');
      })
      .finally(() => {
        this.#refreshing = undefined;
        // Asked again while this one was out (it may have looked before a job was added): ask
        // now, not at the next wake, which may be the fallback poll.
        if (!failed && this.#refresh) this.#pump();
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
