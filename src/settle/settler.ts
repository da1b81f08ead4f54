import type { Context } from '../db/context.js';
import { jsonArrayParam } from '../db/json-param.js';
import { type ClaimRow, toClaimedJob } from '../db/rows.js';
import { toErrorRecord } from '../kernel/error-record.js';
import { isPgPulseError, type PgPulseError } from '../kernel/errors.js';
import { serializeJson } from '../kernel/json-value.js';
import type { ClaimedJob, FailingJob, LeasedJob } from '../kernel/types.js';
import { inInputOrder, refusal } from '../lease/fencing.js';
import { backoffDelayMs, effectiveBackoff } from './backoff.js';
import { isRetryable, type SettleOutcome } from './outcome.js';

/** One completion of a batch: the job and what its handler returned. */
export interface Completion {
  job: LeasedJob;
  /** Stored as the job's result; `undefined` is stored as null. */
  result?: unknown;
}

/** A completion by a worker that holds the job's slot for a child it may release (a hand-off). */
export interface TakingCompletion extends Completion {
  take?: HandOff;
}

/** Who takes a child that a completion releases, first in line in its queue (migration 0020). */
export interface HandOff {
  readonly queue: string;
  readonly workerId: string;
  readonly leaseMs: number;
  /**
   * The child's lease token, chosen by the worker: a completion retried after its reply was lost
   * gets back, by it, the child its first attempt was handed.
   */
  readonly token: string;
}

/**
 * A completion's outcome: with the child handed to the completing worker, if any, and when the
 * attempt that returned it was sent (`performance.now()`: its lease counts from there). A retried
 * completion whose first attempt committed is refused (the job is completed) and still returns it.
 */
export type CompleteOutcome = SettleOutcome & {
  readonly next?: { readonly job: ClaimedJob; readonly sentAt: number };
};

/** One failure of a batch. */
export interface Failure {
  job: FailingJob;
  error: unknown;
  /** False sends the job to dead at once. Default: true unless `error` is a NonRetryableError. */
  retryable?: boolean;
}

/** One release of a batch. */
export interface Release {
  job: LeasedJob;
  /** Due again this many ms from now. Default: at once, keeping its place in line. */
  delayMs?: number;
}

/** Where a failed job went: back to pending at `runAt`, or to dead. */
export type FailOutcome =
  | {
      readonly id: string;
      readonly ok: true;
      readonly state: 'pending' | 'dead';
      readonly runAt: Date;
    }
  | { readonly id: string; readonly ok: false; readonly error: PgPulseError };

interface FencedRow {
  id: string;
  ok: boolean;
  current_state: string | null;
}

/** A row of complete_jobs.sql: the job's outcome, and the child handed over (`next_` columns). */
type CompleteRow = FencedRow & { [column: `next_${string}`]: unknown };

/**
 * Completes many jobs in one statement. A result that is not storable JSON refuses only that
 * job (with a ValidationError), which stays running; the rest complete.
 */
export async function completeJobs(
  ctx: Context,
  items: readonly TakingCompletion[],
): Promise<CompleteOutcome[]> {
  const invalid = new Map<string, PgPulseError>();
  const rows = items.flatMap(({ job, result, take }) => {
    try {
      const json = serializeJson('result', result ?? null, ctx.options.maxPayloadBytes);
      const fields = { id: job.id, token: job.leaseToken };
      const taking =
        take === undefined
          ? fields
          : {
              ...fields,
              take_queue: take.queue,
              take_worker: take.workerId,
              take_lease_ms: take.leaseMs,
              take_token: take.token,
            };
      return [{ fields: taking, raw: { result: json } }];
    } catch (error) {
      if (!isPgPulseError(error)) throw error;
      invalid.set(job.id, error);
      return [];
    }
  });
  const sentAt = performance.now();
  const settled =
    rows.length === 0 ? [] : await ctx.run<CompleteRow>('complete_jobs', [jsonArrayParam(rows)]);
  const byId = new Map(settled.map((row) => [row.id, row]));
  return items.map(({ job }): CompleteOutcome => {
    const error = invalid.get(job.id);
    if (error !== undefined) return { id: job.id, ok: false, error };
    const row = byId.get(job.id);
    if (row === undefined) throw new Error(`complete_jobs returned no row for job ${job.id}`);
    const next =
      row.next_id === null || row.next_id === undefined
        ? {}
        : { next: { job: toClaimedJob(handedOver(row)), sentAt } };
    return row.ok
      ? { id: job.id, ok: true, ...next }
      : { id: job.id, ok: false, error: refusal(job.id, row.current_state), ...next };
  });
}

/** The child a completion handed over, from its row's `next_` columns. */
function handedOver(row: CompleteRow): ClaimRow {
  const child: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith('next_')) child[column.slice('next_'.length)] = value;
  }
  return child as unknown as ClaimRow;
}

interface FailRow extends FencedRow {
  new_state: 'pending' | 'dead' | null;
  run_at: Date | null;
}

/**
 * Records failed attempts in one statement: each job goes back to pending after its backoff
 * delay, or to dead when its error is not retryable or its attempts are used up.
 */
export async function failJobs(ctx: Context, items: readonly Failure[]): Promise<FailOutcome[]> {
  if (items.length === 0) return [];
  const param = jsonArrayParam(
    items.map(({ job, error, retryable }) => {
      const retry = isRetryable(error, retryable);
      const policy = effectiveBackoff(job.backoff, ctx.options.backoff);
      return {
        fields: {
          id: job.id,
          token: job.leaseToken,
          error: toErrorRecord(error, retry),
          retryable: retry,
          retry_delay_ms: backoffDelayMs(policy, job.attempts),
        },
      };
    }),
  );
  const rows = await ctx.run<FailRow>('fail_jobs', [param, ctx.options.errorHistory]);
  return inInputOrder(
    items.map(({ job }) => job.id),
    rows,
  ).map(
    (row): FailOutcome =>
      row.ok && row.new_state !== null && row.run_at !== null
        ? { id: row.id, ok: true, state: row.new_state, runAt: row.run_at }
        : { id: row.id, ok: false, error: refusal(row.id, row.current_state) },
  );
}

/** Gives jobs back to pending in one statement, without spending an attempt. */
export async function releaseJobs(
  ctx: Context,
  items: readonly Release[],
): Promise<SettleOutcome[]> {
  if (items.length === 0) return [];
  const param = jsonArrayParam(
    items.map(({ job, delayMs }) => ({
      fields: { id: job.id, token: job.leaseToken, delay_ms: delayMs ?? null },
    })),
  );
  const rows = await ctx.run<FencedRow>('release_jobs', [param]);
  return inInputOrder(
    items.map(({ job }) => job.id),
    rows,
  ).map(
    (row): SettleOutcome =>
      row.ok
        ? { id: row.id, ok: true }
        : { id: row.id, ok: false, error: refusal(row.id, row.current_state) },
  );
}
