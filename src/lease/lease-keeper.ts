import type { Context } from '../db/context.js';
import type { PgPulseError } from '../kernel/errors.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { LeaseLostError } from '../kernel/job-errors.js';
import type { InFlight, LeasedEntry } from './in-flight.js';
import { renewLeases } from './renew.js';

/**
 * Renews every lease a consumer holds, all in one statement, each heartbeat interval. A lease
 * that could not be renewed (lost to the sweeper, cancelled, gone) is reported through `onLost`,
 * whose job must stop. While the database cannot be reached, a job whose lease has run out by
 * the local clock is reported lost too: another worker may already be running it.
 */
export class LeaseKeeper {
  readonly #ctx: Context;
  readonly #inFlight: InFlight;
  readonly #leaseMs: number;
  readonly #onLost: (entry: LeasedEntry, reason: PgPulseError) => void;
  readonly #onError: (error: unknown) => void;
  readonly #task: IntervalTask<void>;

  constructor(
    ctx: Context,
    inFlight: InFlight,
    options: { leaseMs: number; heartbeatMs: number },
    onLost: (entry: LeasedEntry, reason: PgPulseError) => void,
    onError: (error: unknown) => void,
  ) {
    this.#onError = onError;
    this.#ctx = ctx;
    this.#inFlight = inFlight;
    this.#leaseMs = options.leaseMs;
    this.#onLost = onLost;
    this.#task = new IntervalTask(
      'heartbeat',
      () => this.#beat(),
      options.heartbeatMs,
      ctx.options.logger,
      'pgpulse.consumer',
    );
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  async #beat(): Promise<void> {
    const entries = this.#inFlight.entries();
    if (entries.length === 0) return;
    const sentAt = performance.now();
    try {
      const outcomes = await renewLeases(
        this.#ctx,
        entries.map((entry) => entry.job),
        this.#leaseMs,
      );
      outcomes.forEach((outcome, index) => {
        const entry = entries[index];
        if (entry === undefined) return;
        if (outcome.ok) {
          entry.deadline = sentAt + this.#leaseMs;
          entry.job.leaseExpiresAt = outcome.leaseExpiresAt;
        } else if (!entry.settling && this.#inFlight.get(entry.job.id) === entry) {
          // Refused while its settlement was in flight or written: the settlement ended the
          // lease (it raced this renewal and won), so nothing was lost.
          this.#onLost(entry, outcome.error);
        }
      });
    } catch (error) {
      const now = performance.now();
      for (const entry of entries) {
        if (entry.deadline > now || entry.settling) continue;
        const message = `The lease of job ${entry.job.id} ran out while the database was unreachable`;
        this.#onLost(entry, new LeaseLostError(entry.job.id, 'unknown', message));
      }
      this.#onError(error); // reported by the consumer; the next beat tries again
    }
  }
}
