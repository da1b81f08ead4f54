import {
  JobCancelledError,
  JobNotFoundError,
  LeaseLostError,
  NonRetryableError,
  type PgPulseError,
} from '../kernel/errors.js';
import type { JobErrorRecord } from '../kernel/types.js';
import { toStorableText } from '../kernel/validate.js';

/** The outcome of one job in a batch settlement or heartbeat. */
export type SettleOutcome =
  | { readonly id: string; readonly ok: true }
  | { readonly id: string; readonly ok: false; readonly error: PgPulseError };

/**
 * Why a lease-fenced call was refused, from the job's state just before it: gone, cancelled
 * (cancel wins), or leased to someone else / no longer running (lease lost).
 */
export function refusal(id: string, currentState: string | null): PgPulseError {
  if (currentState === null) return new JobNotFoundError(id);
  if (currentState === 'cancelled') return new JobCancelledError(id);
  return new LeaseLostError(id, currentState);
}

/** Whether a failure may be retried: `NonRetryableError` never; others unless told otherwise. */
export function isRetryable(error: unknown, retryable?: boolean): boolean {
  if (error instanceof NonRetryableError) return false;
  return retryable ?? true;
}

const MAX_MESSAGE_CHARS = 2000;
const MAX_STACK_CHARS = 4000;

/**
 * What is stored about a failure: name, message, code and a truncated stack. Anything may be
 * thrown in JavaScript, so non-errors are described rather than dropped. The database adds the
 * attempt number and time. Never throws, and its text is always storable: a failure that could
 * not be recorded would leave the job running until its lease expired, to fail again.
 */
export function toErrorRecord(
  error: unknown,
  retryable: boolean,
): Omit<JobErrorRecord, 'attempt' | 'at'> {
  if (error instanceof Error) {
    const code = read(() => (error as { code?: unknown }).code);
    const stack = textOf(() => error.stack);
    return {
      name: truncate(textOf(() => error.name) || 'Error', 200),
      message: truncate(textOf(() => error.message) ?? '', MAX_MESSAGE_CHARS),
      ...(typeof code === 'string' ? { code: truncate(code, 200) } : {}),
      ...(stack === undefined ? {} : { stack: truncate(stack, MAX_STACK_CHARS) }),
      retryable,
    };
  }
  const message =
    textOf(() => (typeof error === 'string' ? error : JSON.stringify(error))) ??
    // JSON.stringify refused (a cycle, a BigInt, deep nesting) or gave nothing (a function).
    textOf(() => String(error)) ??
    Object.prototype.toString.call(error);
  return { name: 'NonError', message: truncate(message, MAX_MESSAGE_CHARS), retryable };
}

/** A property of something thrown; a getter may throw too. */
function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** A property of something thrown, as text, or undefined when absent or unprintable. */
function textOf(get: () => unknown): string | undefined {
  try {
    const value = get();
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : String(value);
  } catch {
    return undefined;
  }
}

/**
 * Keeps the head of a long text and makes it storable whatever it held: PostgreSQL refuses NUL
 * and lone surrogates, so each becomes U+FFFD.
 */
function truncate(text: string, max: number): string {
  // A cut may split a surrogate pair; toStorableText mends that too.
  const head = text.length > max ? `${text.slice(0, max)}…` : text;
  return toStorableText(head);
}

/**
 * Puts the rows of a batch statement back in the order of its input: SQL does not promise the
 * order of a join's output.
 */
export function inInputOrder<Row extends { id: string }>(
  ids: readonly string[],
  rows: readonly Row[],
): Row[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (row === undefined) throw new Error(`A batch statement returned no row for job ${id}`);
    return row;
  });
}

/** A short description of an error for a log line: its message and code, not a whole dump. */
export function describeError(error: unknown): { message: string; code?: string } {
  const { message, code } = toErrorRecord(error, true);
  return code === undefined ? { message } : { message, code };
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
