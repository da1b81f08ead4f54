import { Observable } from 'rxjs';
import { MAX_DURATION_MS } from '../config/options.js';
import type { Context } from '../db/context.js';
import { contextOf, type JobContext } from '../execute/job-context.js';
import { ErrorCode, type PgPulseError } from '../kernel/errors.js';
import { InvalidStateError } from '../kernel/job-errors.js';
import { checkInteger } from '../kernel/validate.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { traceDelivery } from '../observe/tracing.js';
import type { SettlePort } from '../settle/settlements.js';
import type { Listener } from '../wake/listener.js';
import { Consumer } from './consumer.js';
import type { ResolvedObserve } from './options.js';

/**
 * A job delivered by {@link Queue.observe}. Settle it exactly once with `ack`, `nack` or
 * `release`; until then its lease is renewed for you and it counts against `prefetch`.
 */
export interface ReceivedJob<P = unknown> extends Omit<JobContext<P>, 'snooze'> {
  /**
   * Completes the job and stores `result`.
   *
   * @throws JobCancelledError or LeaseLostError when the job was cancelled or taken over;
   *   InvalidStateError when it was already settled.
   */
  ack(result?: unknown): Promise<void>;
  /**
   * Fails this attempt: retried after backoff, or dead when `retryable` is false, the error is
   * a NonRetryableError, or attempts are used up.
   */
  nack(error: unknown, options?: { retryable?: boolean }): Promise<void>;
  /**
   * Gives the job back without spending an attempt, due again at once or after `delayMs`: the
   * way to reschedule a job in `observe` (a worker's handler calls `job.snooze(ms)` instead,
   * which takes effect when the handler returns).
   */
  release(options?: { delayMs?: number }): Promise<void>;
  /**
   * Releases the job at once, due `delayMs` from now: `release({ delayMs })`.
   *
   * @deprecated A worker's `job.snooze()` takes effect when its handler returns; this one
   *   settles at once. One name, two meanings: use `release({ delayMs })`.
   */
  snooze(delayMs: number): Promise<void>;
}

/**
 * Jobs of one queue as a cold Observable: each subscription starts its own consumer (sharing the
 * queue's LISTEN connection), holds at most `prefetch` unsettled jobs, and on unsubscribe
 * releases the unsettled ones back to pending at once.
 */
export function observeQueue<P>(
  ctx: Context,
  listener: Listener | null,
  queue: string,
  options: ResolvedObserve,
  track: (consumer: { stop(): Promise<void> }) => () => void,
): Observable<ReceivedJob<P>> {
  return new Observable<ReceivedJob<P>>((subscriber) => {
    const consumer = new Consumer(
      ctx,
      listener,
      {
        queue,
        claim: options.claim,
        capacity: options.prefetch,
        heartbeatMs: options.heartbeatMs,
        pollIntervalMs: options.pollIntervalMs,
        claimAheadMs: options.claimAheadMs,
        leaseFromQueue: options.leaseFromQueue,
        heartbeatFromLease: options.heartbeatFromLease,
        role: 'observer',
      },
      (port) => (entry) => {
        entry.started = true;
        subscriber.next(received(ctx, port, entry as LeasedEntry<P>));
      },
    );
    const untrack = track({
      stop: async () => {
        await consumer.stop(0);
        subscriber.complete();
      },
    });
    // A permanent problem (no privilege, no schema) ends the stream with the error.
    const unheard = consumer.on('error', (event) => {
      if (!event.fatal) return;
      untrack();
      void consumer.stop(0);
      subscriber.error(event.error);
    });
    consumer.start();
    return () => {
      unheard();
      untrack();
      void consumer.stop(0);
    };
  });
}

function received<P>(ctx: Context, port: SettlePort, entry: LeasedEntry<P>): ReceivedJob<P> {
  let settled = false;
  // From delivery to settlement; a job taken away meanwhile (cancelled, lease lost, the
  // subscription ended) ends it with the reason.
  const span = traceDelivery(entry.job);
  const { signal } = entry.controller;
  signal.addEventListener('abort', () => span.end('lost', signal.reason), { once: true });
  const once = async <O extends { ok: boolean }>(
    how: 'ack' | 'nack' | 'release',
    write: () => Promise<O>,
    error?: unknown,
  ): Promise<void> => {
    if (settled) {
      throw new InvalidStateError(
        entry.job.id,
        'settled',
        `Job ${entry.job.id} was already settled`,
      );
    }
    settled = true;
    const outcome = await write();
    if (!outcome.ok) {
      const { error: refused } = outcome as unknown as { error: PgPulseError };
      // Refused before anything was written (a result that is not JSON): still the caller's.
      if (refused.code === ErrorCode.validation) settled = false;
      else span.end('lost', refused);
      throw refused;
    }
    span.end(how, error);
  };
  const release = (delayMs?: number) => {
    if (delayMs !== undefined) checkInteger('delayMs', delayMs, 0, MAX_DURATION_MS);
    return once('release', () => port.release(entry, delayMs));
  };
  return {
    ...contextOf(ctx, entry),
    ack: (result) => once('ack', () => port.complete(entry, result)),
    nack: (error, options) =>
      once('nack', () => port.fail(entry, error, options?.retryable), error),
    release: (options) => release(options?.delayMs),
    snooze: (delayMs) => release(checkInteger('delayMs', delayMs, 0, MAX_DURATION_MS)),
  };
}
