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
  /** The held jobs by id: for each, the entry of its latest claim. */
  readonly #entries = new Map<string, LeasedEntry>();
  /**
   * Entries whose job was claimed again while their settlement was still being written: a retry
   * due within the claim's look-ahead can come back to the same consumer before the reply of its
   * failure does. Held until that settlement returns; their leases need no renewal (the job was
   * claimable again, so the settlement had ended the lease).
   */
  readonly #superseded = new Set<LeasedEntry>();
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
    const prior = this.#entries.get(job.id);
    if (prior !== undefined) this.#superseded.add(prior);
    this.#entries.set(job.id, entry as LeasedEntry);
    return entry;
  }

  /** The entry of the job's latest claim, if this consumer holds it. */
  get(id: string): LeasedEntry | undefined {
    return this.#entries.get(id);
  }

  /** Jobs that still take a slot (not settling, or keeping it for a hand-off). */
  get active(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (!entry.settling || entry.keepsSlot) count++;
    for (const entry of this.#superseded) if (!entry.settling || entry.keepsSlot) count++;
    return count;
  }

  /** Every held job, settling ones included (their leases must hold until written). */
  get size(): number {
    return this.#entries.size + this.#superseded.size;
  }

  /** The entries whose leases are renewed: the latest claim of each held job. */
  entries(): LeasedEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * The job is being handed back: free its slot (unless `keepSlot`: its completion may hand the
   * slot to a child, and frees it when it returns), keep renewing its lease.
   */
  markSettling(entry: LeasedEntry, keepSlot = false): void {
    if (!this.#holds(entry) || entry.settling) return;
    entry.settling = true;
    entry.keepsSlot = keepSlot;
    if (!keepSlot) this.#freed.next();
  }

  /** A settlement was refused without writing anything: the job takes its slot again. */
  unmarkSettling(entry: LeasedEntry): void {
    if (!this.#holds(entry)) return;
    entry.settling = false;
    entry.keepsSlot = false;
  }

  /** The entry is no longer held; a later claim of the same job keeps its own. */
  remove(entry: LeasedEntry): void {
    if (this.#entries.get(entry.job.id) === entry) this.#entries.delete(entry.job.id);
    else if (!this.#superseded.delete(entry)) return;
    this.#freed.next();
  }

  /** Aborts the entry's signal with `reason`; true when this process held it. */
  abort(entry: LeasedEntry, reason: Error): boolean {
    if (!this.#holds(entry)) return false;
    if (!entry.controller.signal.aborted) entry.controller.abort(reason);
    return true;
  }

  #holds(entry: LeasedEntry): boolean {
    return this.#entries.get(entry.job.id) === entry || this.#superseded.has(entry);
  }

  /** Resolves once no job is held, or at `deadline` (monotonic ms); true when none is held. */
  async drained(deadline: number): Promise<boolean> {
    while (this.size > 0) {
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
