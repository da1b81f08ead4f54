import { MAX_DURATION_MS } from '../config/options.js';
import type { Context } from '../db/context.js';
import { serializeJson } from '../kernel/json-value.js';
import type { ClaimedJob } from '../kernel/types.js';
import { checkInteger, invalid, toStorableText } from '../kernel/validate.js';
import { refusal } from '../lease/fencing.js';
import type { LeasedEntry } from '../lease/in-flight.js';
import { type ParentCounts, type ParentResult, parentCounts, parentResults } from './parents.js';

/** How many log entries a job keeps (the newest). */
export const MAX_LOG_ENTRIES = 100;
/** Longest log message kept, in characters; longer ones are cut. */
export const MAX_LOG_MESSAGE_CHARS = 4000;

/** What a handler receives: the claimed job, a signal to honour, and ways to report on it. */
export interface JobContext<P = unknown> extends ClaimedJob<P> {
  /**
   * Aborts when the job is cancelled, its lease is lost, it runs past `timeoutMs`, or the worker
   * stops and its grace period ends. `signal.reason` says which (a pgpulse error). Pass it to
   * `fetch`, database drivers and timers so that an aborted job really stops.
   */
  readonly signal: AbortSignal;
  /**
   * Stores `value` (any JSON) as the job's progress and publishes a `progress` event.
   *
   * @throws LeaseLostError or JobCancelledError when the job is no longer this worker's.
   * @example
   * ```ts
   * await job.progress({ done: 40, total: 100 });
   * ```
   */
  progress(value: unknown): Promise<void>;
  /**
   * Appends a message to the job's log (the newest 100 are kept, each cut at 4,000 characters).
   * What PostgreSQL cannot store (NUL, a lone surrogate) is replaced with U+FFFD.
   *
   * @throws LeaseLostError or JobCancelledError when the job is no longer this worker's.
   */
  log(message: string): Promise<void>;
  /**
   * Reschedules the job `delayMs` from now without spending an attempt: whatever the handler
   * then returns or throws, the job goes back to pending, due after the delay. Return right after.
   *
   * @example
   * ```ts
   * queue.work('sync', async (job) => {
   *   if (!(await partner.isUp())) return job.snooze(60_000); // no attempt spent
   *   await partner.sync(job.payload);
   * });
   * ```
   */
  snooze(delayMs: number): void;
  /**
   * The job's parents (`dependsOn`, flows) with their results, in one query: an empty array for
   * a job without parents.
   *
   * @example
   * ```ts
   * const sizes = (await job.parentResults<{ bytes: number }>()).map((p) => p.result?.bytes);
   * ```
   */
  parentResults<R = unknown>(): Promise<ParentResult<R>[]>;
  /** How the job's parents settled (completed, dead, cancelled): a batch's callback reads it. */
  parentCounts(): Promise<ParentCounts>;
}

/** The handler's view of a leased job. */
export function contextOf<P>(ctx: Context, entry: LeasedEntry<P>): JobContext<P> {
  const { job } = entry;
  return {
    ...job,
    signal: entry.controller.signal,
    progress: async (value) => {
      const json = serializeJson('progress', value, ctx.options.maxPayloadBytes);
      await fenced(ctx, 'job_progress', [job.id, job.leaseToken, json], job.id);
    },
    log: async (message) => {
      if (typeof message !== 'string') throw invalid('message', 'a string', message);
      // Cut first: a cut may split a surrogate pair, and toStorableText mends that too.
      const text = toStorableText(message.slice(0, MAX_LOG_MESSAGE_CHARS));
      await fenced(ctx, 'job_log', [job.id, job.leaseToken, text, MAX_LOG_ENTRIES], job.id);
    },
    snooze: (delayMs) => {
      entry.snoozeMs = checkInteger('delayMs', delayMs, 0, MAX_DURATION_MS);
    },
    parentResults: <R>() => parentResults<R>(ctx, job.id),
    parentCounts: () => parentCounts(ctx, job.id),
  };
}

async function fenced(
  ctx: Context,
  query: 'job_progress' | 'job_log',
  values: unknown[],
  id: string,
): Promise<void> {
  const [row] = await ctx.run<{ ok: boolean; current_state: string | null }>(query, values);
  if (row?.ok !== true) throw refusal(id, row?.current_state ?? null);
}
