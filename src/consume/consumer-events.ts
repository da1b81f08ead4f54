/**
 * Something a consumer (a worker, an `observe` subscription) ran into. `fatal: false`: a
 * transient problem (the database unreachable for a moment) that the consumer retries by itself.
 * `fatal: true`: a permanent one (a missing privilege, the schema not installed or too new) that
 * retrying cannot cure: the consumer stops claiming, finishes what it holds, and says so once.
 */
export interface ConsumerError {
  readonly type: 'error';
  readonly error: unknown;
  readonly fatal: boolean;
  /**
   * What the consumer was doing: `claim`, `heartbeat`, `listen`, `settings`, `next-due`, or
   * `schedule` (moving a claimed tick's schedule on) or `register` (its entry in the worker
   * registry).
   */
  readonly during:
    | 'claim'
    | 'heartbeat'
    | 'listen'
    | 'settings'
    | 'next-due'
    | 'schedule'
    | 'register';
}
