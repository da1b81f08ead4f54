import type { Context } from '../db/context.js';
import { QueueBusyError, QueueNotFoundError } from '../kernel/errors.js';
import type { JobState, QueueStats } from '../kernel/types.js';
import {
  checkBoolean,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import {
  defaultQueueInfo,
  type QueueInfo,
  type QueueRow,
  type QueueSettings,
  resolveQueueSettings,
  toQueueInfo,
} from './queue-settings.js';
import { emptyStats, queueStats } from './stats.js';

/** A queue's settings with its job counts, from {@link QueueAdmin.list}. */
export interface QueueSummary extends QueueInfo {
  stats: QueueStats;
}

/** The states `purge` may delete: every state but running. */
const PURGEABLE: readonly JobState[] = ['pending', 'completed', 'dead', 'cancelled'];

/**
 * Queue control, as `queue.queues`: stored settings (defaults, limits, fairness, retention),
 * pause and resume, purge and delete. Settings live in the database, so they apply to every
 * process at once: consumers read them at every claim and hear of changes on the jobs channel.
 *
 * @example
 * ```ts
 * await queue.queues.upsert('emails', { concurrencyLimit: 5, rateLimit: { count: 100, periodMs: 60_000 } });
 * await queue.queues.pause('emails');   // no worker anywhere starts another emails job
 * await queue.queues.resume('emails');
 * ```
 */
export class QueueAdmin {
  readonly #ctx: Context;

  /** @internal Built by `Queue`. */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Creates a queue with these settings or, when it exists, applies them (an upsert, so safe to
   * run at every start): only the settings given change.
   *
   * @throws ValidationError for a bad name or setting; nothing is written.
   */
  async upsert(name: string, settings?: QueueSettings): Promise<QueueInfo> {
    const row = await this.#save(checkName('queue', name), resolveQueueSettings(settings), false);
    if (row === undefined) throw new Error('queue_save returned no row');
    return toQueueInfo(row);
  }

  /**
   * The same as {@link QueueAdmin.upsert}: creates the queue, or applies these settings to the
   * existing one.
   *
   * @deprecated Its name hid that it updates an existing queue too: use `upsert`.
   */
  create(name: string, settings?: QueueSettings): Promise<QueueInfo> {
    return this.upsert(name, settings);
  }

  /**
   * Changes some settings of an existing queue; `null` clears one.
   *
   * @throws QueueNotFoundError when the queue has no settings row (create it first).
   */
  async update(name: string, settings: QueueSettings): Promise<QueueInfo> {
    checkName('queue', name);
    const row = await this.#save(name, resolveQueueSettings(settings), true);
    if (row === undefined) throw new QueueNotFoundError(name);
    return toQueueInfo(row);
  }

  /** A queue's settings: stored ones, or every default for a queue that has none. */
  async get(name: string): Promise<QueueInfo> {
    const [row] = await this.#ctx.run<QueueRow>('queue_settings', [checkName('queue', name)]);
    return row === undefined ? defaultQueueInfo(name) : toQueueInfo(row);
  }

  /** Every queue that has settings or jobs, with its counts per state, by name. */
  async list(): Promise<QueueSummary[]> {
    const [rows, stats] = await Promise.all([
      this.#ctx.run<QueueRow>('queue_settings', [null]),
      queueStats(this.#ctx, null),
    ]);
    const byName = new Map<string, QueueSummary>();
    for (const row of rows) {
      byName.set(row.name, { ...toQueueInfo(row), stats: emptyStats(row.name) });
    }
    for (const stat of stats) {
      const known = byName.get(stat.queue);
      byName.set(stat.queue, { ...(known ?? defaultQueueInfo(stat.queue)), stats: stat });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Stops every worker, in every process, from starting jobs of the queue; running ones go on. */
  async pause(name: string): Promise<void> {
    await this.#ctx.run('queue_pause', [checkName('queue', name), true]);
  }

  /** Lets workers start jobs of the queue again, at once. */
  async resume(name: string): Promise<void> {
    await this.#ctx.run('queue_pause', [checkName('queue', name), false]);
  }

  /**
   * Deletes the queue's jobs in the given states (default: pending). Running jobs are never
   * purged: cancel them.
   *
   * @returns how many jobs were deleted, per state.
   */
  async purge(
    name: string,
    options?: { states?: JobState[] },
  ): Promise<Partial<Record<JobState, number>>> {
    checkName('queue', name);
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['states']);
    const states = opts.states ?? ['pending'];
    if (
      !Array.isArray(states) ||
      states.length === 0 ||
      !states.every((state) => PURGEABLE.includes(state))
    ) {
      throw invalid('states', 'a non-empty array of pending, completed, dead or cancelled', states);
    }
    const rows = await this.#ctx.run<{ state: JobState; count: string }>('queue_purge', [
      name,
      states,
    ]);
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  /**
   * Deletes the queue: its settings, jobs and archived jobs.
   *
   * @throws QueueNotFoundError when it has neither settings nor jobs.
   * @throws QueueBusyError when jobs of the queue are running and `force` is not set; nothing
   *   is deleted.
   */
  async delete(name: string, options?: { force?: boolean }): Promise<{ jobs: number }> {
    checkName('queue', name);
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['force']);
    const force = checkBoolean('force', opts.force ?? false);
    const [row] = await this.#ctx.run<{
      deleted: boolean;
      running: string;
      jobs: string;
      archived: string;
      settings: string;
    }>('queue_delete', [name, force]);
    if (row === undefined) throw new Error('queue_delete returned no row');
    if (!row.deleted) throw new QueueBusyError(name, Number(row.running));
    const jobs = Number(row.jobs) + Number(row.archived);
    if (jobs === 0 && Number(row.settings) === 0) throw new QueueNotFoundError(name);
    return { jobs };
  }

  #save(name: string, patch: Record<string, unknown>, mustExist: boolean) {
    return this.#ctx
      .run<QueueRow>('queue_save', [name, JSON.stringify(patch), mustExist])
      .then((rows) => rows[0]);
  }
}
