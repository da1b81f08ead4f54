import type { Context } from '../db/context.js';
import { retryTransient } from '../db/failure.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { FINISHED_STATES, type FinishedState } from '../kernel/types.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';

/**
 * Which finished jobs retention removes, and how. A queue with a stored retention policy
 * (`queue.queues.upsert(name, { retention })`) keeps its jobs as the policy says; what the policy
 * leaves out, and every other queue, follow these options.
 */
export interface RetentionOptions {
  /** Remove jobs that finished more than this many ms ago. Default 7 days. */
  olderThanMs?: number;
  /** Which finished states to remove. Default all: completed, dead and cancelled. */
  states?: FinishedState[];
  /** Only this queue's jobs. Default every queue. */
  queue?: string;
  /** `delete` drops the rows; `archive` moves them to `jobs_archive` first. Default `delete`. */
  mode?: 'delete' | 'archive';
  /** Rows per statement (one transaction each). Default 1000. */
  batchSize?: number;
  /** Interval between passes when started, in ms (jittered ±25%). Default 60,000. */
  intervalMs?: number;
  /**
   * Completed and cancelled jobs leave with their whole partition of `jobs_done`, dropped at no
   * cost per row once every job in it is past the retention: each is kept at least its
   * retention and at most that plus one partition's width (a day unless changed). Default true.
   * `false` deletes each job one by one as soon as its retention runs out, which writes WAL and
   * leaves dead rows for every job. Jobs of a queue whose stored policy is shorter than the
   * longest are deleted one by one either way, as are dead jobs.
   */
  wholePartitions?: boolean;
}

/** What one retention pass removed. */
export interface PruneResult {
  /** Jobs removed (archived ones included), by dropped partitions or one by one. */
  deleted: number;
  /** Of those, how many were copied to the archive first. */
  archived: number;
  /** True when another process was running a pass: this one did nothing. */
  skipped: boolean;
  /**
   * How many partitions of finished jobs were dropped whole (their rows are counted in
   * `deleted`): the cheap way, taken when every queue's retention allows it.
   */
  partitions: number;
}

interface ResolvedRetention {
  olderThanMs: number;
  states: FinishedState[];
  queue: string | null;
  archive: boolean;
  batchSize: number;
  intervalMs: number;
  wholePartitions: boolean;
}

const MAX_BATCHES_PER_PASS = 100;

/** A batch whose connection dropped is tried again this often, with backoff, then rejects. */
const RETRIES = { attempts: 5, baseDelayMs: 100 };

function resolveRetention(input: unknown): ResolvedRetention {
  const opts = checkOptionsObject('options', input);
  checkKnownKeys('options', opts, [
    'olderThanMs',
    'states',
    'queue',
    'mode',
    'batchSize',
    'intervalMs',
    'wholePartitions',
  ]);
  const states = opts.states ?? [...FINISHED_STATES];
  if (
    !Array.isArray(states) ||
    states.length === 0 ||
    !states.every((state) => (FINISHED_STATES as readonly unknown[]).includes(state))
  ) {
    throw invalid('states', 'a non-empty array of completed, dead or cancelled', states);
  }
  const mode = opts.mode ?? 'delete';
  if (mode !== 'delete' && mode !== 'archive') throw invalid('mode', "'delete' or 'archive'", mode);
  return {
    olderThanMs: checkInteger(
      'olderThanMs',
      opts.olderThanMs ?? 7 * 86_400_000,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    states: states as FinishedState[],
    queue: opts.queue === undefined ? null : checkName('queue', opts.queue),
    archive: mode === 'archive',
    batchSize: checkInteger('batchSize', opts.batchSize ?? 1000, 1, 100_000),
    intervalMs: checkInteger('intervalMs', opts.intervalMs ?? 60_000, 10, 86_400_000),
    wholePartitions: checkBoolean('wholePartitions', opts.wholePartitions ?? true),
  };
}

/**
 * Deletes or archives finished jobs older than a cutoff, in bounded batches. One process at a
 * time prunes (each batch takes a transaction-level advisory lock; a pass that finds another
 * process pruning stops and reports `skipped`): start a retention task in every process if you
 * like, and they take turns. A batch whose connection dropped is retried with backoff; a pass
 * still failing rejects with a `ConnectionError`, and a started task tries again next interval.
 *
 * @example
 * ```ts
 * const retention = queue.retention({ olderThanMs: 86_400_000, mode: 'archive' });
 * await retention.runOnce(); // or retention.start() to run every minute
 * ```
 */
export class Retention {
  readonly #ctx: Context;
  readonly #options: ResolvedRetention;
  readonly #task: IntervalTask<PruneResult>;

  /** @internal Made by `queue.retention()`. */
  constructor(ctx: Context, options?: RetentionOptions) {
    this.#ctx = ctx;
    this.#options = resolveRetention(options);
    this.#task = new IntervalTask(
      'retention',
      () => this.#pass(),
      this.#options.intervalMs,
      ctx.options.logger,
      'pgpulse.maintenance',
    );
  }

  /** Runs one pass now: batches until one comes back short. */
  runOnce(): Promise<PruneResult> {
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

  async #pass(): Promise<PruneResult> {
    const { states, olderThanMs, queue, batchSize, archive, wholePartitions } = this.#options;
    const lock = `pgpulse.retention.${this.#ctx.options.schema}`;
    const total: PruneResult = { deleted: 0, archived: 0, skipped: false, partitions: 0 };
    // Whole partitions of finished jobs first: what every queue's policy allows to go, with no
    // write per row. Only a pass over every queue and both finished states may drop them.
    const full = queue === null && states.includes('completed') && states.includes('cancelled');
    if (full) {
      const dropped = await retryTransient(
        async () =>
          (
            await this.#ctx.run<{
              partitions: number;
              deleted: string;
              archived: string;
              skipped: boolean;
            }>('drop_done_partitions', [olderThanMs, archive, lock])
          )[0],
        RETRIES,
      );
      if (dropped?.skipped === true) return { ...total, skipped: true };
      total.partitions = Number(dropped?.partitions ?? 0);
      total.deleted = Number(dropped?.deleted ?? 0);
      total.archived = Number(dropped?.archived ?? 0);
    }
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      // Each batch is one statement on the pool: no connection is held between batches, and one
      // that drops mid-batch rolls that batch back, to be tried again.
      const row = await retryTransient(
        async () =>
          (
            await this.#ctx.run<{ deleted: string; archived: string; skipped: boolean }>(
              'prune_jobs',
              [states, olderThanMs, queue, batchSize, archive, lock, full && wholePartitions],
            )
          )[0],
        RETRIES,
      );
      if (row?.skipped === true) {
        // Another process is pruning: leave the rest of this pass to it.
        return batch === 0 && total.partitions === 0 ? { ...total, skipped: true } : total;
      }
      const deleted = Number(row?.deleted ?? 0);
      total.deleted += deleted;
      total.archived += Number(row?.archived ?? 0);
      if (deleted < batchSize) break;
    }
    return total;
  }
}
