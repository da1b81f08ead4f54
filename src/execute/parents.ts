import type { Context } from '../db/context.js';
import type { JobErrorRecord, JobState } from '../kernel/types.js';

/** One parent of a job with its result, from `job.parentResults()`. */
export interface ParentResult<R = unknown> {
  /** The parent's id. */
  id: string;
  /** Null when retention has removed the parent. */
  queue: string | null;
  /** Its job type; null when removed. */
  name: string | null;
  /** Its state now; null when removed. */
  state: JobState | null;
  /** How the parent settled, as its child saw it; null while it has not. */
  outcome: 'completed' | 'dead' | 'cancelled' | null;
  /** What its handler returned, once completed. */
  result: R | null;
  /** Its last error, if it failed. */
  lastError: JobErrorRecord | null;
}

/** How a job's parents settled, from `job.parentCounts()` (a batch's callback). */
export interface ParentCounts {
  /** How many parents the job has. */
  total: number;
  /** Parents that completed. */
  completed: number;
  /** Parents that went dead. */
  dead: number;
  /** Parents that were cancelled. */
  cancelled: number;
  /** Parents not settled yet (0 once the job runs, unless a parent's policy is `run`). */
  unsettled: number;
}

interface ParentRow {
  id: string;
  outcome: ParentResult['outcome'];
  queue: string | null;
  /** Its job type; null when removed. */
  name: string | null;
  /** Its state now; null when removed. */
  state: JobState | null;
  result: unknown;
  last_error: JobErrorRecord | null;
}

/** A job's parents and their results, in one statement. */
export async function parentResults<R>(ctx: Context, id: string): Promise<ParentResult<R>[]> {
  const rows = await ctx.run<ParentRow>('parent_results', [id]);
  return rows.map((row) => ({
    id: row.id,
    queue: row.queue,
    name: row.name,
    state: row.state,
    outcome: row.outcome,
    result: (row.result ?? null) as R | null,
    lastError: row.last_error,
  }));
}

/** How a job's parents settled, counted in one statement without reading them. */
export async function parentCounts(ctx: Context, id: string): Promise<ParentCounts> {
  const [row] = await ctx.run<Record<keyof ParentCounts, string>>('parent_counts', [id]);
  return {
    total: Number(row?.total ?? 0),
    completed: Number(row?.completed ?? 0),
    dead: Number(row?.dead ?? 0),
    cancelled: Number(row?.cancelled ?? 0),
    unsettled: Number(row?.unsettled ?? 0),
  };
}
