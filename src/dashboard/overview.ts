import PQueue from 'p-queue';
import pg from 'pg';
import type { Context } from '../db/context.js';
import { QueueClosedError } from '../kernel/errors.js';
import type { Count, CountState, QueueOverview } from './api-types.js';

/**
 * Counts are exact up to this many jobs per queue and state; past it, the planner's estimate
 * (from the table's statistics) stands in, so a page of the dashboard costs a bounded walk of an
 * index per state, not a scan of a million rows.
 */
export const EXACT_COUNT_CAP = 10_000;

interface CountsRow {
  queue: string;
  waiting: string;
  pending: string;
  scheduled: string;
  running: string;
  dead: string;
  completed: string;
  cancelled: string;
  oldest_pending_age_ms: number | null;
  paused: boolean;
  workers: string;
}

interface LatencyRow {
  queue: string;
  p50: number;
  p99: number;
  sample: string;
}

const STATES: readonly CountState[] = [
  'waiting',
  'pending',
  'scheduled',
  'running',
  'completed',
  'dead',
  'cancelled',
];

/** The names of every queue with settings or jobs. */
export async function queueNames(ctx: Context): Promise<string[]> {
  const rows = await ctx.run<{ queue: string }>('dashboard_queues', []);
  return rows.map((row) => row.queue);
}

/** Counts, latency, age and workers of these queues (estimates past {@link EXACT_COUNT_CAP}). */
export async function overviewOf(
  ctx: Context,
  queues: readonly string[],
): Promise<QueueOverview[]> {
  if (queues.length === 0) return [];
  // A few at a time: the dashboard shares the queue's pool with its workers.
  const reads = new PQueue({ concurrency: 3 });
  const [counts, latencies] = await Promise.all([
    Promise.all(queues.map((queue) => reads.add(() => countsOf(ctx, queue)))),
    ctx.run<LatencyRow>('dashboard_latency', [queues]),
  ]);
  const latencyOf = new Map(latencies.map((row) => [row.queue, row]));
  return Promise.all(
    counts.map(async (row) => {
      const latency = latencyOf.get(row.queue);
      const entries = await Promise.all(
        STATES.map(
          async (state) =>
            [state, await countOf(ctx, row.queue, state, Number(row[state]))] as const,
        ),
      );
      return {
        name: row.queue,
        paused: row.paused,
        counts: Object.fromEntries(entries) as Record<CountState, Count>,
        oldestPendingAgeMs:
          row.oldest_pending_age_ms === null ? null : Math.round(row.oldest_pending_age_ms),
        latency:
          latency === undefined || Number(latency.sample) === 0
            ? null
            : { p50: latency.p50, p99: latency.p99, sample: Number(latency.sample) },
        workers: Number(row.workers),
      };
    }),
  );
}

/**
 * One queue's capped counts, planned for that queue: its name goes into the text as a literal
 * (a validated name, escaped), since the queue's connections plan every statement with
 * parameters generically (`plan_cache_mode`), and one plan cannot suit a queue of a million
 * finished jobs (walk the table) and one of ten (walk the index) alike.
 */
async function countsOf(ctx: Context, queue: string): Promise<CountsRow> {
  if (ctx.closed) throw new QueueClosedError();
  const literal = pg.escapeLiteral(queue);
  const text = ctx.queries.dashboard_counts.text
    .replaceAll('$2', () => String(EXACT_COUNT_CAP))
    .replaceAll('$1', () => literal);
  const { rows } = await ctx.pool.query<CountsRow>(text);
  return rows[0] as CountsRow;
}

/** The exact count, or the planner's estimate when the exact one reached the cap. */
async function countOf(
  ctx: Context,
  queue: string,
  state: CountState,
  exact: number,
): Promise<Count> {
  if (exact < EXACT_COUNT_CAP) return { value: exact, estimated: false };
  const estimate = await plannerEstimate(ctx, queue, state);
  return { value: Math.max(estimate, exact), estimated: true };
}

/** How many rows the planner expects a queue to have in a state (EXPLAIN, nothing executed). */
async function plannerEstimate(ctx: Context, queue: string, state: CountState): Promise<number> {
  const schema = pg.escapeIdentifier(ctx.options.schema);
  const where = `queue = ${pg.escapeLiteral(queue)} AND state = ${pg.escapeLiteral(
    state === 'scheduled' ? 'pending' : state,
  )}${state === 'scheduled' ? ' AND run_at > now()' : ''}`;
  const tables = state === 'completed' || state === 'cancelled' ? ['jobs', 'jobs_done'] : ['jobs'];
  let total = 0;
  for (const table of tables) {
    const result = await ctx.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${schema}.${table} WHERE ${where}`,
    );
    total += result.rows[0]?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0;
  }
  return Math.round(total);
}
