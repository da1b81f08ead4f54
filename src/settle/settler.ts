import type { Context } from '../db/context.js';
import { jsonArrayParam } from '../db/json-param.js';
import { toErrorRecord } from '../kernel/error-record.js';
import { isPgPulseError, type PgPulseError } from '../kernel/errors.js';
import { serializeJson } from '../kernel/json-value.js';
import type { FailingJob, LeasedJob } from '../kernel/types.js';
import { inInputOrder, refusal } from '../lease/fencing.js';
import { backoffDelayMs, effectiveBackoff } from './backoff.js';
import { isRetryable, type SettleOutcome } from './outcome.js';

/** One completion of a batch: the job and what its handler returned. */
export interface Completion {
  job: LeasedJob;
  /** Stored as the job's result; `undefined` is stored as null. */
  result?: unknown;
}

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

/**
 * Completes many jobs in one statement. A result that is not storable JSON refuses only that
 * job (with a ValidationError), which stays running; the rest complete.
 */
export async function completeJobs(
  ctx: Context,
  items: readonly Completion[],
): Promise<SettleOutcome[]> {
  const invalid = new Map<string, PgPulseError>();
  const rows = items.flatMap(({ job, result }) => {
    try {
      const json = serializeJson('result', result ?? null, ctx.options.maxPayloadBytes);
      return [{ fields: { id: job.id, token: job.leaseToken }, raw: { result: json } }];
    } catch (error) {
      if (!isPgPulseError(error)) throw error;
      invalid.set(job.id, error);
      return [];
    }
  });
  const settled =
    rows.length === 0 ? [] : await ctx.run<FencedRow>('complete_jobs', [jsonArrayParam(rows)]);
  const byId = new Map(settled.map((row) => [row.id, row]));
  return items.map(({ job }): SettleOutcome => {
    const error = invalid.get(job.id);
    if (error !== undefined) return { id: job.id, ok: false, error };
    const row = byId.get(job.id);
    if (row === undefined) throw new Error(`complete_jobs returned no row for job ${job.id}`);
    return row.ok
      ? { id: job.id, ok: true }
      : { id: job.id, ok: false, error: refusal(job.id, row.current_state) };
  });
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
