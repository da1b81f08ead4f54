import type { PgPulseError } from '../kernel/errors.js';
import { NonRetryableError } from '../kernel/job-errors.js';

/** The outcome of one job in a batch settlement or heartbeat. */
export type SettleOutcome =
  | { readonly id: string; readonly ok: true }
  | { readonly id: string; readonly ok: false; readonly error: PgPulseError };

/** Whether a failure may be retried: `NonRetryableError` never; others unless told otherwise. */
export function isRetryable(error: unknown, retryable?: boolean): boolean {
  if (error instanceof NonRetryableError) return false;
  return retryable ?? true;
}

/** How a handler ended: it returned a value or threw. */
export type HandlerOutcome =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown };

/** What to write for a job whose handler ended. */
export type Settlement =
  | { action: 'complete'; result: unknown }
  | { action: 'fail'; error: unknown; retryable?: boolean }
  /** Already dealt with: the job was cancelled, lost its lease, timed out, or is being released. */
  | { action: 'none' };

/**
 * Decides a job's settlement from how its handler ended. Once the job's signal has aborted, the
 * abort decided its fate (a timeout already failed it, a cancel or lost lease leaves nothing to
 * write, a stopping worker releases it), whatever the handler did afterwards.
 */
export function decideSettlement(signal: AbortSignal, outcome: HandlerOutcome): Settlement {
  if (signal.aborted) return { action: 'none' };
  return outcome.kind === 'returned'
    ? { action: 'complete', result: outcome.value }
    : { action: 'fail', error: outcome.error };
}
