import type { ClaimedJob } from '../kernel/types.js';
import type { LeasedEntry } from '../lease/in-flight.js';

/**
 * Jobs claimed ahead of their due time (`claimAheadMs`), each started on a local timer when it is
 * due: the claim's round trip is then spent before the due time instead of after it.
 */
export class ClaimedAhead {
  /** When (`performance.now()`) each job claimed ahead is due, by id, until it is started. */
  readonly #dueAt = new Map<string, number>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /**
   * Notes when `job` is due, given the database's clock when its claim looked (`dbNowMs`) and
   * when the reply arrived (`receivedAt`, `performance.now()`); returns that time, or 0 for a job
   * already due. The database read its clock before the reply left, so counting from the reply's
   * arrival errs late, never early.
   */
  note(job: ClaimedJob, dbNowMs: number, receivedAt: number): number {
    const aheadBy = job.runAt.getTime() - dbNowMs;
    if (aheadBy <= 0) return 0;
    const dueAt = receivedAt + aheadBy;
    this.#dueAt.set(job.id, dueAt);
    return dueAt;
  }

  /** Calls `start(entry)` when the job is due: at once, or on a timer for one claimed ahead. */
  whenDue(entry: LeasedEntry, start: (entry: LeasedEntry) => void): void {
    const dueAt = this.#dueAt.get(entry.job.id);
    this.#dueAt.delete(entry.job.id);
    const waitMs = dueAt === undefined ? 0 : dueAt - performance.now();
    // A job given back meanwhile (cancelled, the worker stopping) has nothing to wait for.
    if (waitMs <= 0 || entry.controller.signal.aborted) {
      start(entry);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      start(entry);
    }, waitMs);
    this.#timers.add(timer);
  }

  /**
   * Forgets every job waiting for its due time. Only once they were given back unstarted (the
   * worker stopping): starting a released job would have done nothing.
   */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#dueAt.clear();
  }
}
