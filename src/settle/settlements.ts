import type { Context, SettledJob } from '../db/context.js';
import { ErrorCode, type PgPulseError } from '../kernel/errors.js';
import { InvalidStateError } from '../kernel/job-errors.js';
import type { InFlight, LeasedEntry } from '../lease/in-flight.js';
import { SettleBatcher } from './batcher.js';
import type { SettleOutcome } from './outcome.js';
import type { FailOutcome } from './settler.js';

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

/**
 * The settlements of one consumer's jobs, batched into one statement per kind, each job's at most
 * once: a job leaves the consumer's in-flight set when its settlement is written (or refused).
 */
export class Settlements implements SettlePort {
  readonly #inFlight: InFlight;
  readonly #batcher: SettleBatcher;
  readonly #queue: string;
  readonly #onSettled: ((job: SettledJob) => void) | undefined;

  constructor(
    ctx: Context,
    inFlight: InFlight,
    queue: string,
    onSettled?: (job: SettledJob) => void,
  ) {
    this.#inFlight = inFlight;
    this.#batcher = new SettleBatcher(ctx);
    this.#queue = queue;
    this.#onSettled = onSettled;
  }

  async complete(
    entry: LeasedEntry,
    result: unknown,
    options?: { invalidResult?: 'refuse' | 'fail' },
  ): Promise<SettleOutcome> {
    const outcome = await this.#settle(entry, 'complete', () =>
      this.#batcher.complete({ job: entry.job, result }, () => entry.deadline),
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
    return this.#settle(entry, 'fail', () =>
      this.#batcher.fail(
        { job: entry.job, error, ...(retryable === undefined ? {} : { retryable }) },
        () => entry.deadline,
      ),
    );
  }

  release(entry: LeasedEntry, delayMs?: number): Promise<SettleOutcome> {
    return this.#settle(entry, 'release', () =>
      this.#batcher.release(
        { job: entry.job, ...(delayMs === undefined ? {} : { delayMs }) },
        () => entry.deadline,
      ),
    );
  }

  abort(entry: LeasedEntry, reason: PgPulseError): void {
    this.#inFlight.abort(entry.job.id, reason);
    if (reason.code === ErrorCode.jobCancelled || reason.code === ErrorCode.leaseLost) {
      this.#inFlight.remove(entry.job.id);
    }
  }

  /** Resolves once every settlement asked for so far has been written (or has failed). */
  drain(): Promise<void> {
    return this.#batcher.drain();
  }

  async #settle<Outcome extends { ok: boolean }>(
    entry: LeasedEntry,
    kind: SettleKind,
    write: () => Promise<Outcome>,
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
    this.#inFlight.markSettling(id);
    let outcome: Outcome;
    try {
      outcome = await write();
    } catch (error) {
      this.#inFlight.remove(id);
      throw error;
    }
    const refused = (outcome as { error?: PgPulseError }).error;
    if (refused?.code === ErrorCode.validation) {
      // Nothing was written (e.g. a result that is not JSON): the job is still ours to settle.
      this.#inFlight.unmarkSettling(id);
    } else {
      this.#inFlight.remove(id);
    }
    if (outcome.ok && this.#onSettled !== undefined) this.#report(entry, kind, outcome);
    return outcome;
  }

  #report(entry: LeasedEntry, kind: SettleKind, outcome: { ok: boolean }): void {
    const state = (outcome as { state?: string }).state;
    this.#onSettled?.({
      queue: this.#queue,
      outcome:
        kind === 'fail'
          ? state === 'dead'
            ? 'dead'
            : 'retried'
          : kind === 'complete'
            ? 'completed'
            : 'released',
      durationMs: performance.now() - entry.claimedAt,
    });
  }
}
