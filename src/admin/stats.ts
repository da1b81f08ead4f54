import type { Context } from '../db/context.js';
import type { QueueStats } from '../kernel/types.js';

interface StatsRow {
  queue: string;
  waiting: string;
  pending: string;
  scheduled: string;
  running: string;
  completed: string;
  dead: string;
  cancelled: string;
  oldest_pending_age_ms: string | null;
}

/** Counts per state of one queue (zeros for a queue without jobs) or of every queue with jobs. */
export async function queueStats(ctx: Context, queue: string | null): Promise<QueueStats[]> {
  const rows = await ctx.run<StatsRow>('queue_stats', [queue]);
  const stats = rows.map(toStats);
  if (queue !== null && stats.length === 0) stats.push(emptyStats(queue));
  return stats;
}

function toStats(row: StatsRow): QueueStats {
  return {
    queue: row.queue,
    counts: {
      waiting: Number(row.waiting),
      pending: Number(row.pending),
      running: Number(row.running),
      completed: Number(row.completed),
      dead: Number(row.dead),
      cancelled: Number(row.cancelled),
    },
    scheduled: Number(row.scheduled),
    oldestPendingAgeMs:
      row.oldest_pending_age_ms === null ? null : Math.round(Number(row.oldest_pending_age_ms)),
  };
}

/** The stats of a queue without jobs. */
export function emptyStats(queue: string): QueueStats {
  return {
    queue,
    counts: { waiting: 0, pending: 0, running: 0, completed: 0, dead: 0, cancelled: 0 },
    scheduled: 0,
    oldestPendingAgeMs: null,
  };
}
