import type { Context } from '../db/context.js';
import { checkIdentifier, checkName, invalid } from '../kernel/validate.js';
import { type GroupOverride, resolveGroupOverride } from './group-settings.js';

/** The limits in force for one group of a queue, from {@link GroupAdmin}. */
export interface GroupInfo {
  queue: string;
  /** The group: the `tenant` its jobs were sent with. */
  key: string;
  /** At most this many of its jobs run at once (1 in a FIFO queue); null: no cap. */
  concurrencyLimit: number | null;
  /** At most `count` of its jobs start per `periodMs`; null: no rate limit. */
  rateLimit: { count: number; periodMs: number } | null;
  /** Its jobs run one at a time, in order of sending. */
  fifo: boolean;
  /** What this group sets for itself over the queue's group limits; null: nothing. */
  override: GroupOverride | null;
  /** Ids of its running jobs, oldest first. */
  running: string[];
}

interface GroupRow {
  key: string;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  fifo: boolean;
  override_concurrency_limit: number | null;
  override_rate_limit: number | null;
  override_rate_period_ms: number | null;
  running: string[];
}

const rate = (count: number | null, periodMs: number | null) =>
  count === null || periodMs === null ? null : { count, periodMs };

function toGroupInfo(queue: string, row: GroupRow): GroupInfo {
  const overridden = row.override_concurrency_limit !== null || row.override_rate_limit !== null;
  return {
    queue,
    key: row.key,
    concurrencyLimit: row.concurrency_limit,
    rateLimit: rate(row.rate_limit, row.rate_period_ms),
    fifo: row.fifo,
    override: overridden
      ? {
          concurrencyLimit: row.override_concurrency_limit,
          rateLimit: rate(row.override_rate_limit, row.override_rate_period_ms),
        }
      : null,
    running: row.running,
  };
}

/** A group key as jobs carry it in `tenant`. */
const checkKey = (key: unknown) => checkIdentifier('key', key, 256);

/**
 * Limits of single groups, as `queue.groups`: a group is the `tenant` a job was sent with. The
 * limits of every group of a queue are queue settings (`queue.queues.create(name, { groups })`);
 * an override here replaces them for one group. Stored in the database, so exact across every
 * process; consumers hear of a change at once.
 *
 * @example
 * ```ts
 * await queue.queues.create('reports', { groups: { concurrencyLimit: 2 } });
 * await queue.groups.set('reports', 'big-customer', { concurrencyLimit: 10 });
 * await queue.send('reports', payload, { tenant: 'big-customer' });
 * ```
 */
export class GroupAdmin {
  readonly #ctx: Context;

  /** @internal Built by `Queue`. */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Overrides some limits of one group (only those given change; `null` clears one). Makes the
   * queue fair (a queue with group limits serves its groups in turn), creating its settings row
   * if it has none.
   *
   * @throws ValidationError for a bad queue, key or limit; nothing is written.
   */
  async set(queue: string, key: string, override: GroupOverride): Promise<GroupInfo> {
    checkName('queue', queue);
    checkKey(key);
    const patch = resolveGroupOverride(override);
    await this.#ctx.run('group_save', [queue, key, JSON.stringify(patch)]);
    return this.get(queue, key);
  }

  /**
   * Removes a group's override: the queue's group limits apply to it again.
   *
   * @throws ValidationError when the group has no override (an unknown group); nothing changes.
   */
  async remove(queue: string, key: string): Promise<void> {
    checkName('queue', queue);
    checkKey(key);
    const rows = await this.#ctx.run('group_remove', [queue, key]);
    if (rows.length === 0) {
      throw invalid('key', `a group of queue ${queue} with an override`, key);
    }
  }

  /** The limits in force for one group, and its running jobs. */
  async get(queue: string, key: string): Promise<GroupInfo> {
    checkName('queue', queue);
    checkKey(key);
    const [row] = await this.#ctx.run<GroupRow>('group_get', [queue, [key]]);
    if (row === undefined) throw new Error('group_get returned no row');
    return toGroupInfo(queue, row);
  }

  /** Every group of the queue that has an override, by key. */
  async list(queue: string): Promise<GroupInfo[]> {
    checkName('queue', queue);
    const rows = await this.#ctx.run<GroupRow>('group_get', [queue, null]);
    return rows.map((row) => toGroupInfo(queue, row));
  }
}
