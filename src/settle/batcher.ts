import type { Context } from '../context.js';
import { isPgPulseError } from '../errors.js';
import type { SettleOutcome } from './outcome.js';
import {
  type Completion,
  completeJobs,
  type FailOutcome,
  type Failure,
  failJobs,
  type Release,
  releaseJobs,
} from './settler.js';

interface Pending<Item, Outcome> {
  readonly item: Item;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

/** How many times a flush is tried before its callers see the database error. */
const FLUSH_ATTEMPTS = 3;

/**
 * Collects settlements and writes those that are ready together in one round trip per kind:
 * at idle a settlement goes out on the next turn of the event loop; under load, everything that
 * finished while the previous flush was in flight goes out together in the next one.
 */
export class SettleBatcher {
  readonly #ctx: Context;
  #completions: Pending<Completion, SettleOutcome>[] = [];
  #failures: Pending<Failure, FailOutcome>[] = [];
  #releases: Pending<Release, SettleOutcome>[] = [];
  #scheduled = false;
  #flushing: Promise<void> | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  complete(item: Completion): Promise<SettleOutcome> {
    return this.#enqueue(this.#completions, item);
  }

  fail(item: Failure): Promise<FailOutcome> {
    return this.#enqueue(this.#failures, item);
  }

  release(item: Release): Promise<SettleOutcome> {
    return this.#enqueue(this.#releases, item);
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

  #enqueue<Item, Outcome>(list: Pending<Item, Outcome>[], item: Item): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      list.push({ item, resolve, reject });
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

async function settle<Item, Outcome>(
  pending: Pending<Item, Outcome>[],
  write: (items: Item[]) => Promise<Outcome[]>,
): Promise<void> {
  if (pending.length === 0) return;
  const items = pending.map((entry) => entry.item);
  for (let attempt = 1; ; attempt++) {
    try {
      const outcomes = await write(items);
      pending.forEach((entry, index) => {
        entry.resolve(outcomes[index] as Outcome);
      });
      return;
    } catch (error) {
      // Our own errors (a closed queue, a schema mismatch) do not heal by retrying.
      if (attempt >= FLUSH_ATTEMPTS || isPgPulseError(error)) {
        for (const entry of pending) entry.reject(error);
        return;
      }
      // A dropped connection or a failover: try again shortly, while the leases still hold.
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
