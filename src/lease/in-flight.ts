import { firstValueFrom, race, Subject, timer } from 'rxjs';
import type { ClaimedJob } from '../kernel/types.js';

/** One leased job of a consumer. */
export interface LeasedEntry<P = unknown> {
  job: ClaimedJob<P>;
  /** Aborted when the job is cancelled, its lease is lost, it times out, or the worker stops. */
  readonly controller: AbortController;
  /**
   * When the lease runs out, on this process's monotonic clock (`performance.now()`), counted
   * from when the claim or last renewal was *sent*, so it errs early, never late.
   */
  deadline: number;
  /** The job was handed back (ack, complete, fail): it no longer takes a slot... */
  settling: boolean;
  /** ...unless its completion may hand its slot to a child it releases (until it returns). */
  keepsSlot?: boolean;
  /**
   * Its handler began (or it was handed to a subscriber). A job claimed ahead (`prefetch`) that
   * has not started is given back at once when the worker stops.
   */
  started: boolean;
  /**
   * When the claim was sent (`performance.now()`), or when a job claimed ahead of its due time
   * is due: where the processing-time metric counts from.
   */
  readonly claimedAt: number;
  /** Set by `job.snooze()`: release the job, due this many ms later, whatever its handler does. */
  snoozeMs?: number;
}

/**
 * The jobs a consumer holds leases on, from claim until their settlement is written. Heartbeats
 * renew all of them; a slot frees as soon as a job starts settling.
 */
export class InFlight {
  readonly #entries = new Map<string, LeasedEntry>();
  readonly #freed = new Subject<void>();
  /** Emits when a slot frees or a job leaves: a job started settling, or was removed. */
  readonly freed$ = this.#freed.asObservable();

  /** Registers a freshly claimed job; `dueAt` when it was claimed ahead of its due time. */
  add<P>(job: ClaimedJob<P>, claimSentAt: number, leaseMs: number, dueAt = 0): LeasedEntry<P> {
    const entry: LeasedEntry<P> = {
      job,
      controller: new AbortController(),
      deadline: claimSentAt + leaseMs,
      settling: false,
      started: false,
      claimedAt: Math.max(claimSentAt, dueAt),
    };
    this.#entries.set(job.id, entry as LeasedEntry);
    return entry;
  }

  get(id: string): LeasedEntry | undefined {
    return this.#entries.get(id);
  }

  /** Jobs that still take a slot (not settling, or keeping it for a hand-off). */
  get active(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (!entry.settling || entry.keepsSlot) count++;
    return count;
  }

  /** Every held job, settling ones included (their leases must hold until written). */
  get size(): number {
    return this.#entries.size;
  }

  entries(): LeasedEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * The job is being handed back: free its slot (unless `keepSlot`: its completion may hand the
   * slot to a child, and frees it when it returns), keep renewing its lease.
   */
  markSettling(id: string, keepSlot = false): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.settling) return;
    entry.settling = true;
    entry.keepsSlot = keepSlot;
    if (!keepSlot) this.#freed.next();
  }

  /** A settlement was refused without writing anything: the job takes its slot again. */
  unmarkSettling(id: string): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      entry.settling = false;
      entry.keepsSlot = false;
    }
  }

  /** The job is no longer held. */
  remove(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    this.#freed.next();
  }

  /** Aborts the job's signal with `reason`; true when this process held the job. */
  abort(id: string, reason: Error): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    if (!entry.controller.signal.aborted) entry.controller.abort(reason);
    return true;
  }

  /** Resolves once no job is held, or at `deadline` (monotonic ms); true when none is held. */
  async drained(deadline: number): Promise<boolean> {
    while (this.#entries.size > 0) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      await firstValueFrom(race(this.#freed, timer(remaining)), { defaultValue: undefined });
    }
    return true;
  }

  complete(): void {
    this.#freed.complete();
  }
}
