import type pg from 'pg';
import type { Queue } from '../../src/index.js';

/** One timed retention pass. */
export interface RetentionPass {
  /** `Date.now()` when the pass began. */
  readonly at: number;
  readonly ms: number;
  /** Rows removed, however (`PruneResult.deleted`). */
  readonly deleted: number;
  /** Partitions dropped whole. */
  readonly partitions: number;
  /** Of `deleted`, the rows that went with dropped partitions; the rest were deleted one by one. */
  readonly rowsInDroppedPartitions: number;
  readonly skipped: boolean;
}

/** Retention passes on a fixed interval, each timed (see {@link startRetentionPasses}). */
export interface RetentionPasses {
  readonly passes: RetentionPass[];
  /** Stops the interval; resolves once the pass in flight is over. */
  stop(): Promise<void>;
}

/**
 * How a pass removes finished jobs, both `queue.retention({ olderThanMs }).runOnce()`:
 * `whole-partitions` with its default (a job leaves with its whole partition), `exact` with
 * `wholePartitions: false` (each job deleted one by one as soon as its retention runs out).
 */
export type RetentionKind = 'whole-partitions' | 'exact';

/**
 * Runs a retention pass every `intervalMs` (what `start()` does, minus its ±25% jitter, so that
 * passes can be timed). Before each pass it counts the rows of the partitions old enough to be
 * dropped; those that are gone afterwards took their rows with them, and the rest of what the
 * pass removed was deleted row by row. Nothing else deletes from jobs_done meanwhile, so the split
 * is exact. Failures are logged; the next pass runs as usual.
 */
export function startRetentionPasses(
  queue: Queue,
  sql: pg.Pool,
  options: { olderThanMs: number; intervalMs: number; kind: RetentionKind },
  log: (line: string) => void,
): RetentionPasses {
  const retention = queue.retention({
    olderThanMs: options.olderThanMs,
    wholePartitions: options.kind === 'whole-partitions',
  });
  const runOnce = () => retention.runOnce();
  const passes: RetentionPass[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async () => {
    const candidates = await droppable(sql, options.olderThanMs);
    const at = Date.now();
    const started = performance.now();
    const result = await runOnce();
    const ms = performance.now() - started;
    const left = new Set(
      (
        await sql.query<{ rel: string }>('SELECT rel::text AS rel FROM pgpulse.done_partitions()')
      ).rows.map((row) => row.rel),
    );
    const rowsInDroppedPartitions = candidates
      .filter((candidate) => !left.has(candidate.rel))
      .reduce((sum, candidate) => sum + candidate.rows, 0);
    passes.push({
      at,
      ms,
      deleted: result.deleted,
      partitions: result.partitions,
      rowsInDroppedPartitions,
      skipped: result.skipped,
    });
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = pass()
        .catch((error: unknown) => log(`[trial] retention pass failed: ${error}`))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, options.intervalMs);
  };
  schedule();
  return {
    passes,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Partitions whose range ends early enough for a pass starting within seconds to drop them. */
async function droppable(sql: pg.Pool, olderThanMs: number) {
  const { rows } = await sql.query<{ rel: string }>(
    `SELECT rel::text AS rel FROM pgpulse.done_partitions()
     WHERE upper_bound <= now() + interval '5 seconds' - $1 * interval '1 millisecond'`,
    [olderThanMs],
  );
  const counted: { rel: string; rows: number }[] = [];
  for (const { rel } of rows) {
    // rel is a name from the catalogue, printed by regclass (quoted where needed).
    const count = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel}`);
    counted.push({ rel, rows: Number(count.rows[0]?.n ?? 0) });
  }
  return counted;
}
