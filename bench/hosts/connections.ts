import type pg from 'pg';

/** Peak connections to the run's database seen by a {@link ConnectionWatch}. */
export interface ConnectionPeaks {
  /** Peak open connections per `application_name` (`pgpulse`: the queues' pools). */
  readonly open: Record<string, number>;
  /** Peak connections running a statement at the same moment, per `application_name`. */
  readonly active: Record<string, number>;
  /** Peak open connections, all names together (the watcher's own not counted). */
  readonly total: number;
  readonly samples: number;
}

/** Samples `pg_stat_activity` every `intervalMs` until stopped (see {@link watchConnections}). */
export interface ConnectionWatch {
  stop(): Promise<ConnectionPeaks>;
}

/**
 * Watches the connections to the database `sql` is connected to, by `application_name`:
 * `pgpulse` (pools the queues made), `pgpulse-listener` (their LISTEN connections), and the
 * trial's own. A pool opens a connection when a statement finds none idle and closes it after
 * 10 s idle, so the peak count is what the pool needed.
 */
export function watchConnections(sql: pg.Pool, intervalMs = 100): ConnectionWatch {
  const open: Record<string, number> = {};
  const active: Record<string, number> = {};
  let total = 0;
  let samples = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const { rows } = await sql.query<{ name: string; n: number; active: number }>(
        `SELECT application_name AS name, count(*)::int AS n,
                count(*) FILTER (WHERE state = 'active')::int AS active
         FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
         GROUP BY application_name`,
      );
      samples++;
      let sum = 0;
      for (const row of rows) {
        open[row.name] = Math.max(open[row.name] ?? 0, row.n);
        active[row.name] = Math.max(active[row.name] ?? 0, row.active);
        sum += row.n;
      }
      total = Math.max(total, sum);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return { open, active, total, samples };
    },
  };
}
