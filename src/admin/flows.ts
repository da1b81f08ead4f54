import type { Context } from '../db/context.js';
import type { JobState } from '../kernel/types.js';
import { checkJobId } from '../kernel/validate.js';

/** How a job depends on one parent, as `queue.flows.get()` shows it. */
export interface FlowEdge {
  /** The parent's id. */
  id: string;
  /** What the child does when this parent fails. */
  onFailure: 'cancel' | 'dead' | 'run';
  /** How the parent settled, or null while it has not. */
  outcome: 'completed' | 'dead' | 'cancelled' | null;
}

/** One job of a flow. */
export interface FlowJob {
  /** The job's id. */
  id: string;
  /** Its queue. */
  queue: string;
  /** Its job type within the queue. */
  name: string;
  state: JobState;
  /** Attempts started so far. */
  attempts: number;
  /** Parents not settled yet (while `waiting`). */
  waitingParents: number;
  /** Its parents, with the policy of each dependency and how the parent settled. */
  parents: FlowEdge[];
  /** The ids of its children in the flow. */
  children: string[];
  /** The message of its last error (for a job stopped by a parent: why). */
  error: string | null;
  /** When it was sent. */
  createdAt: Date;
  /** When its latest attempt started. */
  startedAt: Date | null;
  /** When it finished (completed, dead or cancelled). */
  finishedAt: Date | null;
}

/** A flow as `queue.flows.get()` reads it: every job, with its parents and children. */
export interface FlowInfo {
  /** The flow's id. */
  id: string;
  /** Jobs per state. */
  counts: Record<JobState, number>;
  /** True when no job is waiting, pending or running. */
  finished: boolean;
  /** Every job, oldest first. */
  jobs: FlowJob[];
}

interface FlowRow {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  attempts: number;
  waiting_parents: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  parents: FlowEdge[];
}

/** Flows seen from outside: read one with every job, or cancel what of it has not finished. */
export class FlowAdmin {
  readonly #ctx: Context;

  /** @internal Built by `Queue`. */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /**
   * Every job of a flow with its state, parents and children; null when no job has this flow id
   * (unknown, or pruned by retention).
   *
   * @example
   * ```ts
   * const { flowId } = await queue.flow([{ ref: 'only', queue: 'q', payload: null }]);
   * const flow = await queue.flows.get(flowId);
   * console.log(flow?.counts, flow?.finished);
   * ```
   */
  async get(id: string): Promise<FlowInfo | null> {
    const rows = await this.#ctx.run<FlowRow>('get_flow', [checkJobId('id', id)]);
    if (rows.length === 0) return null;
    const children = new Map<string, string[]>();
    for (const row of rows) {
      for (const parent of row.parents) {
        const list = children.get(parent.id) ?? [];
        list.push(row.id);
        children.set(parent.id, list);
      }
    }
    const counts: Record<JobState, number> = {
      waiting: 0,
      pending: 0,
      running: 0,
      completed: 0,
      dead: 0,
      cancelled: 0,
    };
    for (const row of rows) counts[row.state] += 1;
    return {
      id: id.toLowerCase(),
      counts,
      finished: counts.waiting + counts.pending + counts.running === 0,
      jobs: rows.map((row) => ({
        id: row.id,
        queue: row.queue,
        name: row.name,
        state: row.state,
        attempts: row.attempts,
        waitingParents: row.waiting_parents,
        parents: row.parents,
        children: children.get(row.id) ?? [],
        error: row.error,
        createdAt: row.created_at,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
      })),
    };
  }

  /**
   * Cancels every unfinished job of a flow: waiting and pending ones never run, running ones are
   * aborted as with `cancel()` (their later complete or fail is refused). Dead ones stay.
   *
   * @returns how many jobs were cancelled (0 for an unknown or finished flow).
   */
  async cancel(id: string): Promise<number> {
    const [row] = await this.#ctx.run<{ cancelled: number }>('cancel_flow', [checkJobId('id', id)]);
    return row?.cancelled ?? 0;
  }
}
