import {
  type CheckKind,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  invalid,
} from '../kernel/validate.js';

/** A backoff policy with every field filled in. */
export type ResolvedBackoff =
  | Readonly<{ type: 'exponential'; baseMs: number; factor: number; maxMs: number; jitter: number }>
  | Readonly<{ type: 'fixed'; delayMs: number; jitter: number }>;

/** The policy of a job that names none: 1 s, 2 s, 4 s, ... up to one hour, 20% jitter. */
export const DEFAULT_BACKOFF: Extract<ResolvedBackoff, { type: 'exponential' }> = Object.freeze({
  type: 'exponential',
  baseMs: 1000,
  factor: 2,
  maxMs: 3_600_000,
  jitter: 0.2,
});

/** The longest delay any policy may produce: 30 days. */
export const MAX_BACKOFF_MS = 30 * 24 * 3_600_000;

/**
 * Validates a backoff policy and fills in its defaults.
 *
 * @throws ValidationError (or ConfigurationError for `kind: 'configuration'`) naming the field.
 */
export function resolveBackoff(
  field: string,
  value: unknown,
  kind: CheckKind = 'validation',
): ResolvedBackoff {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(field, "a backoff policy ({ type: 'exponential' | 'fixed', ... })", value, kind);
  }
  const policy = value as Record<string, unknown>;
  if (policy.type === 'fixed') {
    checkKnownKeys(field, policy, ['type', 'delayMs', 'jitter'], kind);
    return Object.freeze({
      type: 'fixed',
      delayMs: checkInteger(`${field}.delayMs`, policy.delayMs, 0, MAX_BACKOFF_MS, kind),
      jitter: checkNumber(`${field}.jitter`, policy.jitter ?? 0, 0, 1, kind),
    });
  }
  if (policy.type === 'exponential') {
    checkKnownKeys(field, policy, ['type', 'baseMs', 'factor', 'maxMs', 'jitter'], kind);
    const baseMs = checkInteger(
      `${field}.baseMs`,
      policy.baseMs ?? DEFAULT_BACKOFF.baseMs,
      1,
      MAX_BACKOFF_MS,
      kind,
    );
    const maxMs = checkInteger(
      `${field}.maxMs`,
      policy.maxMs ?? Math.max(baseMs, DEFAULT_BACKOFF.maxMs),
      baseMs,
      MAX_BACKOFF_MS,
      kind,
    );
    return Object.freeze({
      type: 'exponential',
      baseMs,
      factor: checkNumber(`${field}.factor`, policy.factor ?? DEFAULT_BACKOFF.factor, 1, 100, kind),
      maxMs,
      jitter: checkNumber(`${field}.jitter`, policy.jitter ?? DEFAULT_BACKOFF.jitter, 0, 1, kind),
    });
  }
  throw invalid(`${field}.type`, "'exponential' or 'fixed'", policy.type, kind);
}
