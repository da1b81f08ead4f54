import { randomUUID } from 'node:crypto';
import type { Context } from '../db/context.js';
import { ErrorCode, isPgPulseError, type PgPulseError } from '../kernel/errors.js';
import { InvalidStateError } from '../kernel/job-errors.js';
import { mayRelease } from '../kernel/release-marks.js';
import type { ClaimedJob } from '../kernel/types.js';
import type { InFlight, LeasedEntry } from '../lease/in-flight.js';
import { SettleBatcher } from './batcher.js';
import type { SettleOutcome } from './outcome.js';
import type { FailOutcome, HandOff } from './settler.js';

/**
 * A consumer's offer to start, in the slot of a job whose completion releases children, the
 * child first in line (migration 0020): `taken` receives it, leased, with the `performance.now()`
 * at which the completion's attempt that returned it was sent (its lease counts from there).
 */
export interface HandOffPort {
  /**
   * Who takes, asked at each completion: undefined when no child should be handed over now
   * (a busy queue's claims find its children as fast, and its slots are better kept free).
   */
  readonly take: () => Omit<HandOff, 'token'> | undefined;
  readonly taken: (job: ClaimedJob, sentAt: number) => void;
}

/**
 * What a dispatcher may do with a job it was handed: end it exactly once by completing, failing
 * or releasing it, or stop it by aborting its signal. The narrow port between executing a job and
 * everything else a consumer does (claiming, heartbeats, notifications).
 */
export interface SettlePort {
  /**
   * Completes the job with `result`. A result that cannot be stored (not JSON, too big) is
   * refused with a ValidationError and nothing is written: with `invalidResult: 'fail'` the job
   * then fails for good instead (a handler returned something wrong; running it again will not
   * help); by default it stays held, for the caller to settle otherwise.
   */
  complete(
    entry: LeasedEntry,
    result: unknown,
    options?: { invalidResult?: 'refuse' | 'fail' },
  ): Promise<SettleOutcome>;
  /** Fails the job: retried after backoff, or dead (not retryable, or out of attempts). */
  fail(entry: LeasedEntry, error: unknown, retryable?: boolean): Promise<FailOutcome>;
  /** Gives the job back without spending an attempt, due at once or after `delayMs`. */
  release(entry: LeasedEntry, delayMs?: number): Promise<SettleOutcome>;
  /**
   * Aborts the job's signal with `reason`. A cancelled job or a lost lease is let go at once
   * (nothing about it can be written any more); after other reasons (a timeout, the worker
   * stopping) it is still settled or released.
   */
  abort(entry: LeasedEntry, reason: PgPulseError): void;
}

type SettleKind = 'complete' | 'fail' | 'release';

/** How a held job ended, as told to a {@link SettleWatch}. */
export type SettleReport =
  | {
      readonly kind: 'completed';
      readonly job: ClaimedJob;
      readonly result: unknown;
      /** From the claim to the settlement, in ms. */
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly job: ClaimedJob;
      readonly error: unknown;
      /** Where the job went: back to pending (retried at `runAt`), or dead. */
      readonly state: 'pending' | 'dead';
      readonly runAt: Date;
      readonly durationMs: number;
    }
  | { readonly kind: 'released'; readonly job: ClaimedJob; readonly durationMs: number }
  /** The lease was gone when the job's outcome was written, or a heartbeat found it gone. */
  | { readonly kind: 'lease-lost'; readonly job: ClaimedJob; readonly error: PgPulseError };

/**
 * Who hears how a consumer's jobs end (metrics, worker events, the logger). Asked first whether
 * anyone wants a kind of report, so that a job nobody watches costs no report at all.
 */
export interface SettleWatch {
  wants(kind: SettleReport['kind']): boolean;
  settled(report: SettleReport): void;
}

/** A watch that wants nothing. */
const NOBODY: SettleWatch = { wants: () => false, settled: () => undefined };

const REPORTS = { complete: 'completed', fail: 'failed', release: 'released' } as const;

/**
 * The settlements of one consumer's jobs, batched into one statement per kind, each job's at most
 * once: a job leaves the consumer's in-flight set when its settlement is written (or refused).
 */
export class Settlements implements SettlePort {
  readonly #inFlight: InFlight;
  readonly #batcher: SettleBatcher;
  readonly #watch: SettleWatch;
  readonly #handOff: HandOffPort | undefined;

  constructor(
    ctx: Context,
    inFlight: InFlight,
    watch: SettleWatch = NOBODY,
    handOff?: HandOffPort,
  ) {
    this.#inFlight = inFlight;
    this.#batcher = new SettleBatcher(ctx);
    this.#watch = watch;
    this.#handOff = handOff;
  }

  async complete(
    entry: LeasedEntry,
    result: unknown,
    options?: { invalidResult?: 'refuse' | 'fail' },
  ): Promise<SettleOutcome> {
    // A job that may release children keeps its slot until its completion returns, with the
    // child first in line it released, if any, which takes the slot over.
    const handOff = mayRelease(entry.job) ? this.#handOff : undefined;
    const taker = handOff?.take();
    const take = taker === undefined ? undefined : { ...taker, token: randomUUID() };
    const outcome = await this.#settle(
      entry,
      'complete',
      result,
      () =>
        this.#batcher.complete(
          { job: entry.job, result, ...(take === undefined ? {} : { take }) },
          () => entry.deadline,
        ),
      handOff === undefined || take === undefined
        ? undefined
        : (written) => {
            if (written.next !== undefined) handOff.taken(written.next.job, written.next.sentAt);
          },
    );
    if (
      !outcome.ok &&
      outcome.error.code === ErrorCode.validation &&
      options?.invalidResult === 'fail'
    ) {
      return this.fail(entry, outcome.error, false);
    }
    return outcome;
  }

  fail(entry: LeasedEntry, error: unknown, retryable?: boolean): Promise<FailOutcome> {
    return this.#settle(entry, 'fail', error, () =>
      this.#batcher.fail(
        { job: entry.job, error, ...(retryable === undefined ? {} : { retryable }) },
        () => entry.deadline,
      ),
    );
  }

  release(entry: LeasedEntry, delayMs?: number): Promise<SettleOutcome> {
    return this.#settle(entry, 'release', undefined, () =>
      this.#batcher.release(
        { job: entry.job, ...(delayMs === undefined ? {} : { delayMs }) },
        () => entry.deadline,
      ),
    );
  }

  abort(entry: LeasedEntry, reason: PgPulseError): void {
    const held = this.#inFlight.get(entry.job.id) === entry;
    this.#inFlight.abort(entry, reason);
    if (reason.code === ErrorCode.jobCancelled || reason.code === ErrorCode.leaseLost) {
      this.#inFlight.remove(entry);
    }
    if (held && reason.code === ErrorCode.leaseLost) this.#lost(entry, reason);
  }

  /** Resolves once every settlement asked for so far has been written (or has failed). */
  drain(): Promise<void> {
    return this.#batcher.drain();
  }

  /**
   * `detail` is the result of a completion, the error of a failure. `handOver`, when given, keeps the job's slot while the settlement is written and is called
   * with its outcome before the slot frees (a child it was handed takes the slot over).
   */
  async #settle<Outcome extends { ok: boolean }>(
    entry: LeasedEntry,
    kind: SettleKind,
    detail: unknown,
    write: () => Promise<Outcome>,
    handOver?: (written: Outcome) => void,
  ): Promise<Outcome | { id: string; ok: false; error: PgPulseError }> {
    const id = entry.job.id;
    if (this.#inFlight.get(id) !== entry) {
      // Cancelled or lost while running (the database would refuse it), or settled already.
      const { signal } = entry.controller;
      const error = signal.aborted
        ? (signal.reason as PgPulseError)
        : new InvalidStateError(id, 'settled', `Job ${id} was already settled by this consumer`);
      return { id, ok: false, error };
    }
    this.#inFlight.markSettling(entry, handOver !== undefined);
    let outcome: Outcome;
    try {
      outcome = await write();
    } catch (error) {
      this.#inFlight.remove(entry);
      // Given up while the database was unreachable, once the lease had run out.
      if (isPgPulseError(error, ErrorCode.leaseLost)) this.#lost(entry, error);
      throw error;
    }
    const refused = (outcome as { error?: PgPulseError }).error;
    if (refused?.code === ErrorCode.validation) {
      // Nothing was written (e.g. a result that is not JSON): the job is still ours to settle.
      this.#inFlight.unmarkSettling(entry);
    } else {
      try {
        handOver?.(outcome);
      } finally {
        this.#inFlight.remove(entry);
      }
    }
    if (outcome.ok) {
      if (this.#watch.wants(REPORTS[kind])) this.#report(entry, kind, detail, outcome);
    } else if (refused?.code === ErrorCode.leaseLost) {
      this.#lost(entry, refused);
    }
    return outcome;
  }

  #lost(entry: LeasedEntry, error: PgPulseError): void {
    if (this.#watch.wants('lease-lost')) {
      this.#watch.settled({ kind: 'lease-lost', job: entry.job, error });
    }
  }

  #report(entry: LeasedEntry, kind: SettleKind, detail: unknown, outcome: object): void {
    const { job } = entry;
    const durationMs = performance.now() - entry.claimedAt;
    if (kind === 'complete') {
      this.#watch.settled({ kind: 'completed', job, result: detail, durationMs });
    } else if (kind === 'release') {
      this.#watch.settled({ kind: 'released', job, durationMs });
    } else {
      const { state, runAt } = outcome as { state: 'pending' | 'dead'; runAt: Date };
      this.#watch.settled({ kind: 'failed', job, error: detail, state, runAt, durationMs });
    }
  }
}
