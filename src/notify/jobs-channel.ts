/**
 * The jobs channel's protocol, decoded. Four functions of the schema send it (migrations 0012 and
 * 0014); this is its one reader, and a test sends each kind through PostgreSQL and decodes it
 * (test/integration/notify.test.ts).
 */
export type JobsNotice =
  /** `announce(queue, count, run_at)`: `count` jobs of `queue` became pending, the earliest due at `runAt`. */
  | {
      readonly kind: 'pending';
      readonly queue: string;
      readonly count: number;
      readonly runAt: number | null;
    }
  /** `announce_cancel(id, queue)`: a running job of `queue` was cancelled; whoever runs it aborts it. */
  | { readonly kind: 'cancel'; readonly id: string; readonly queue: string }
  /** `announce_control(queue)`: `queue`'s settings changed (pause, resume, limits...): claim again. */
  | { readonly kind: 'control'; readonly queue: string }
  /**
   * `announce_any()`: jobs were inserted by a statement that is not pgpulse's (psql, another
   * language), of queues it does not say: every consumer of the schema claims once.
   */
  | { readonly kind: 'any' };

/**
 * A notice from the parsed JSON payload of a notification on the jobs channel, or null for
 * anything else (someone NOTIFYing by hand, a newer release's notice): a hint never trusted
 * beyond its shape.
 */
export function decodeJobsNotice(payload: unknown): JobsNotice | null {
  if (payload === null || typeof payload !== 'object') return null;
  const notice = payload as Record<string, unknown>;
  if (typeof notice.cancel === 'string' && typeof notice.queue === 'string') {
    return { kind: 'cancel', id: notice.cancel, queue: notice.queue };
  }
  if (typeof notice.control === 'string') return { kind: 'control', queue: notice.control };
  if (notice.any === true) return { kind: 'any' };
  if (typeof notice.queue === 'string') {
    return {
      kind: 'pending',
      queue: notice.queue,
      count: typeof notice.count === 'number' ? notice.count : 1,
      runAt: typeof notice.runAt === 'number' ? notice.runAt : null,
    };
  }
  return null;
}
