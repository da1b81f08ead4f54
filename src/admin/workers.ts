import type { Context } from '../db/context.js';
import { checkBoolean, checkKnownKeys, checkOptionsObject } from '../kernel/validate.js';

/** One consumer in the worker registry, from {@link WorkerRegistry.list}. */
export interface WorkerInfo {
  /** This consumer's registration (one per queue a process consumes). */
  id: string;
  /** The `workerId` recorded on the jobs it claims. */
  workerId: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** Jobs it held at its last heartbeat. */
  running: number;
  /** The pgpulse version it runs. */
  version: string;
  startedAt: Date;
  lastSeenAt: Date;
  /** When the entry expires unless the consumer refreshes it (it does on every heartbeat). */
  expiresAt: Date;
  /** Whether it has not expired: a consumer whose process died stops refreshing its entry. */
  alive: boolean;
}

interface WorkerRow {
  id: string;
  worker_id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  running: number;
  version: string;
  started_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  alive: boolean;
}

/**
 * The live workers of the schema, as `queue.workers`: every consumer (of `work`, `workBatch` or
 * `observe`) registers itself when it starts, refreshes its entry on each heartbeat and removes
 * it when it stops; the entry of a process that died expires after a few missed heartbeats.
 */
export class WorkerRegistry {
  readonly #ctx: Context;

  /** @internal Built by `Queue`. */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** The registered consumers, oldest first: live ones, or with `all` expired ones too. */
  async list(options?: { all?: boolean }): Promise<WorkerInfo[]> {
    const opts = checkOptionsObject('options', options);
    checkKnownKeys('options', opts, ['all']);
    const all = checkBoolean('all', opts.all ?? false);
    const rows = await this.#ctx.run<WorkerRow>('worker_list', [all]);
    return rows.map((row) => ({
      id: row.id,
      workerId: row.worker_id,
      host: row.host,
      pid: row.pid,
      queues: row.queues,
      concurrency: row.concurrency,
      running: row.running,
      version: row.version,
      startedAt: row.started_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      alive: row.alive,
    }));
  }
}
