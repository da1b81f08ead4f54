import { queriesFor } from '../db/queries.js';
import type { Queue } from '../index.js';
import { checkInteger, checkName, checkOptionsObject, invalid } from '../kernel/validate.js';

/** Options of {@link TestClock}. */
export interface TestClockOptions {
  /** Only these queues' jobs are moved. Default: every queue of the queue's schema. */
  queues?: readonly string[];
}

/**
 * Time for the jobs under test, moved forward on demand: delayed jobs, retries waiting out their
 * backoff and snoozed jobs fall due without the test waiting for them.
 *
 * What `advance(ms)` does: in one statement, every pending job (of `queues`) has its `run_at`
 * moved `ms` earlier, as if `ms` had passed for it (jobs keep their order among themselves), and
 * each queue whose jobs moved is announced (NOTIFY) with its new earliest `run_at`, so that idle
 * workers, in this process or any other, claim what is now due at once and re-arm their timers
 * for the rest (without LISTEN, at their next poll).
 *
 * Recurring schedules (of `queues`) move with it: each keeps how far the clock moved it, computes
 * its ticks on the database's clock plus that much, and makes each tick's job due that much
 * earlier. So advancing an hour runs an hourly schedule's waiting tick, whose claim then puts the
 * next tick an hour on, again due after the next hour of advancing; ticks skipped over by one
 * large advance are missed ticks, handled as the schedule's `misfire` policy says.
 *
 * What it does not do: the database's `now()` and this process's clock (`Date.now()`, timers)
 * stay real, and so do `created_at`, `started_at`, leases of running jobs (heartbeats and the
 * sweeper work in real time), handler `timeoutMs`, and rate limits' token buckets. It moves only
 * the jobs pending when it is called: a job sent, or an attempt failing, afterwards is due by the
 * real clock (so wait for the failure to be recorded before advancing past its backoff); likewise
 * a schedule set afterwards starts on the real clock. Never use it on a database that is not a
 * test's.
 *
 * @example
 * ```ts
 * const clock = new TestClock(queue);
 * const { id } = await queue.send('emails', payload, { delayMs: 3_600_000 });
 * await clock.advance(3_600_000); // an hour later, for the jobs
 * await waitForJob(queue, id, 'completed');
 * ```
 */
export class TestClock {
  readonly #queue: Queue;
  readonly #queues: readonly string[] | null;
  #advancedMs = 0;

  constructor(queue: Queue, options?: TestClockOptions) {
    const opts = checkOptionsObject('options', options);
    const { queues } = opts;
    if (queues !== undefined && !Array.isArray(queues)) {
      throw invalid('queues', 'an array of queue names', queues);
    }
    this.#queue = queue;
    this.#queues =
      queues === undefined ? null : queues.map((name, i) => checkName(`queues[${i}]`, name));
  }

  /** How far this clock has been advanced in all, in ms. */
  get advancedMs(): number {
    return this.#advancedMs;
  }

  /**
   * Moves the pending jobs and the schedules `ms` into their future (see {@link TestClock}) and
   * wakes the workers.
   *
   * @returns how many jobs moved, and how many schedules.
   * @throws ValidationError for a negative or non-integer `ms`.
   */
  async advance(ms: number): Promise<{ moved: number; schedules: number }> {
    checkInteger('ms', ms, 0, Number.MAX_SAFE_INTEGER);
    const { text } = queriesFor(this.#queue.options.schema).advance_clock;
    const { rows } = await this.#queue.pool.query<{ moved: number; schedules: number }>(text, [
      ms,
      this.#queues,
    ]);
    this.#advancedMs += ms;
    return { moved: rows[0]?.moved ?? 0, schedules: rows[0]?.schedules ?? 0 };
  }
}
