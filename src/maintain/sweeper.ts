import type { Context } from '../db/context.js';
import { retryTransient } from '../db/failure.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { checkInteger, checkKnownKeys, checkOptionsObject } from '../kernel/validate.js';

/** Options of the visibility-timeout sweeper. */
export interface SweeperOptions {
  /** Interval between passes in ms, jittered ±25%. Default 2000. */
  intervalMs?: number;
  /** Jobs reclaimed per statement; a pass repeats until one comes back short. Default 1000. */
  batchSize?: number;
}

/** One job the sweeper took back from a worker whose lease expired. */
export interface ReclaimedJob {
  id: string;
  queue: string;
  /** `pending` (due now) or `dead` when the expired attempt was its last. */
  state: 'pending' | 'dead';
}

/** Passes stop after this many statements so that `stop()` is never kept waiting long. */
const MAX_BATCHES_PER_PASS = 100;

/** A batch whose connection dropped is tried again this often, with backoff, then rejects. */
const RETRIES = { attempts: 5, baseDelayMs: 100 };

/**
 * Requeues jobs whose lease expired: their worker crashed, hung, or lost the database. Any
 * number of sweepers may run at once (they skip each other's rows).
 *
 * @example
 * ```ts
 * const sweeper = queue.sweeper({ intervalMs: 1000 });
 * sweeper.start();
 * // ...
 * await sweeper.stop();
 * ```
 */
export class Sweeper {
  readonly #ctx: Context;
  readonly #batchSize: number;
  readonly #task: IntervalTask<ReclaimedJob[]>;

  /** @internal Made by `queue.sweeper()`. */
  constructor(ctx: Context, options?: SweeperOptions) {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['intervalMs', 'batchSize']);
    this.#ctx = ctx;
    this.#batchSize = checkInteger('batchSize', opts.batchSize ?? 1000, 1, 100_000);
    const intervalMs = checkInteger('intervalMs', opts.intervalMs ?? 2000, 10, 86_400_000);
    this.#task = new IntervalTask(
      'sweeper',
      () => this.#pass(),
      intervalMs,
      ctx.options.logger,
      'pgpulse.maintenance',
    );
  }

  /** Runs one pass now and returns the jobs it reclaimed. */
  runOnce(): Promise<ReclaimedJob[]> {
    return this.#task.runOnce();
  }

  /** Starts passes on the interval. */
  start(): this {
    this.#task.start();
    return this;
  }

  /** Stops the interval and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  async #pass(): Promise<ReclaimedJob[]> {
    // Completions must land in droppable partitions: keep the ones ahead in place (one row read
    // when they are, which is nearly always).
    await retryTransient(() => this.#ctx.run('ensure_partitions', []), RETRIES);
    const reclaimed: ReclaimedJob[] = [];
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      // A batch is one statement: one whose connection dropped rolled back, and is tried again.
      const rows = await retryTransient(
        () =>
          this.#ctx.run<ReclaimedJob>('reclaim_expired', [
            this.#batchSize,
            this.#ctx.options.errorHistory,
          ]),
        RETRIES,
      );
      for (const { id, queue, state } of rows) reclaimed.push({ id, queue, state });
      if (rows.length < this.#batchSize) break;
    }
    return reclaimed;
  }
}
