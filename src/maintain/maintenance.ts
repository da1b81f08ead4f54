import type { Context } from '../db/context.js';
import { allSettledOrThrow } from '../kernel/cleanup.js';
import { type PruneResult, Retention, type RetentionOptions } from './retention.js';
import { type ReclaimedJob, Sweeper, type SweeperOptions } from './sweeper.js';

/**
 * Anything started for the queue that its `close()` must stop. A worker gives its running jobs
 * `graceMs` when told one, else its own; the rest stop at once.
 */
export interface Stoppable {
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * The queue's housekeeping: sweepers (requeue jobs whose lease expired) and retention tasks
 * (prune finished jobs), one pass at a time or started on an interval; and whatever else is
 * started for the queue and must be stopped with it (metrics servers).
 */
export class Maintenance {
  readonly #ctx: Context;
  readonly #started = new Set<Stoppable>();

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** A visibility-timeout sweeper to `start()`; stopped with the queue. */
  sweeper(options?: SweeperOptions): Sweeper {
    return this.track(new Sweeper(this.#ctx, options));
  }

  /** A retention task to `start()` or `runOnce()`; stopped with the queue. */
  retention(options?: RetentionOptions): Retention {
    return this.track(new Retention(this.#ctx, options));
  }

  /** One sweeper pass: requeues jobs whose lease expired (or kills those out of attempts). */
  reclaimExpired(): Promise<ReclaimedJob[]> {
    return new Sweeper(this.#ctx).runOnce();
  }

  /** One retention pass: deletes or archives finished jobs older than the cutoff. */
  prune(options?: RetentionOptions): Promise<PruneResult> {
    return new Retention(this.#ctx, options).runOnce();
  }

  /** Remembers something started for the queue, to stop it with the queue. */
  track<T extends Stoppable>(task: T): T {
    this.#started.add(task);
    return task;
  }

  /** Stops everything tracked, each even when another fails. */
  stop(): Promise<void> {
    return allSettledOrThrow([...this.#started].map((task) => task.stop()));
  }
}
