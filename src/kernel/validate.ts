import { ConfigurationError, type PgPulseError, ValidationError } from './errors.js';
import type { SqlExecutor } from './types.js';

/**
 * Which error a failed check throws: `ValidationError` for arguments of one call,
 * `ConfigurationError` for the options a queue or worker is built with.
 */
export type CheckKind = 'validation' | 'configuration';

/** Names of queues and job types: letters, digits, `_ . : -`, 1 to 128 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Whether PostgreSQL can store `text` exactly: no NUL (`text` and `jsonb` both refuse it) and no
 * lone UTF-16 surrogate (`jsonb` refuses its `\uD800` escape, and a `text` parameter is silently
 * stored as U+FFFD instead). Two native scans, and `isWellFormed` answers at once for a one-byte
 * string: several times faster than a charCode loop or a regex (bench/validation.ts).
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * Replaces each code unit PostgreSQL cannot store (NUL, a lone surrogate) with U+FFFD: for text
 * that must be written whatever it holds, such as a failed job's error message.
 */
export function toStorableText(text: string): string {
  return isStorableText(text) ? text : text.replaceAll('\u0000', '\uFFFD').toWellFormed();
}

/** Control characters (NUL among them), refused in tenants, idempotency keys and worker ids. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Shows a rejected value in a message: short, and never a whole payload. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) {
    const ms = Date.prototype.getTime.call(value);
    return Number.isNaN(ms) ? 'an Invalid Date' : `a Date ${new Date(ms).toISOString()}`;
  }
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const ctor = Object.getPrototypeOf(value)?.constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/** Builds the error for a failed check: ``Expected `leaseMs` to be a positive integer, got `-1` ``. */
export function invalid(
  field: string,
  expectation: string,
  value: unknown,
  kind: CheckKind = 'validation',
): PgPulseError {
  const message = `Expected \`${field}\` to be ${expectation}, got \`${show(value)}\``;
  return kind === 'validation'
    ? new ValidationError(field, message)
    : new ConfigurationError(message, { field });
}

/** An integer within `[min, max]`. */
export function checkInteger(
  field: string,
  value: unknown,
  min: number,
  max: number,
  kind: CheckKind = 'validation',
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, describeRange(min, max), value, kind);
  }
  return value;
}

function describeRange(min: number, max: number): string {
  if (min === 1 && max === Number.MAX_SAFE_INTEGER) return 'a positive integer';
  if (min === 0 && max === Number.MAX_SAFE_INTEGER) return 'a non-negative integer';
  return `an integer from ${min} to ${max}`;
}

/** A number within `[min, max]` (fractions allowed). */
export function checkNumber(
  field: string,
  value: unknown,
  min: number,
  max: number,
  kind: CheckKind = 'validation',
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(field, `a number from ${min} to ${max}`, value, kind);
  }
  return value;
}

/** A queue or job-type name (see {@link NAME_PATTERN}). */
export function checkName(field: string, value: unknown, kind: CheckKind = 'validation'): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw invalid(
      field,
      'a name of 1 to 128 letters, digits or `_ . : -`, not starting with `. : -`',
      value,
      kind,
    );
  }
  return value;
}

/**
 * A non-empty string of at most `maxLength` characters without control characters or lone
 * surrogates: what PostgreSQL stores exactly, and what prints on one line.
 */
export function checkIdentifier(
  field: string,
  value: unknown,
  maxLength: number,
  kind: CheckKind = 'validation',
): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > maxLength ||
    CONTROL_CHARACTERS.test(value) ||
    !value.isWellFormed()
  ) {
    throw invalid(
      field,
      `a string of 1 to ${maxLength} characters without control characters or lone surrogates`,
      value,
      kind,
    );
  }
  return value;
}

/** Earliest date accepted, 0001-01-01T00:00:00.000Z (see {@link checkDate}). */
export const MIN_DATE_MS = Date.parse('0001-01-01T00:00:00.000Z');
/** Latest date accepted, 9999-12-31T23:59:59.999Z (see {@link checkDate}). */
export const MAX_DATE_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A valid Date in years 1 to 9999 (UTC): the dates ISO 8601 writes with four digits, all of which
 * PostgreSQL's `timestamptz` stores. Outside them `toISOString()` writes `+010000-…` or
 * `-000001-…`, which PostgreSQL refuses, and year 0 does not exist there. A date in the past is
 * fine (the job is due at once). Returns a copy, so a Date subclass cannot change what is written.
 */
export function checkDate(field: string, value: unknown): Date {
  const ms = value instanceof Date ? Date.prototype.getTime.call(value) : Number.NaN;
  if (!(ms >= MIN_DATE_MS && ms <= MAX_DATE_MS)) {
    throw invalid(
      field,
      'a valid Date from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z',
      value,
    );
  }
  return new Date(ms);
}

/** A boolean. */
export function checkBoolean(
  field: string,
  value: unknown,
  kind: CheckKind = 'validation',
): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'a boolean', value, kind);
  return value;
}

/** A plain object (or undefined, read as empty): the shape every options argument has. */
export function checkOptionsObject(
  field: string,
  value: unknown,
  kind: CheckKind = 'validation',
): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(field, 'an options object', value, kind);
  }
  return value as Record<string, unknown>;
}

/** Rejects keys that are not options, so a typo such as `delay` instead of `delayMs` is caught. */
export function checkKnownKeys(
  field: string,
  value: Record<string, unknown>,
  known: readonly string[],
  kind: CheckKind = 'validation',
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw invalid(
        field,
        `an object with only ${known.map((k) => `\`${k}\``).join(', ')}`,
        key,
        kind,
      );
    }
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job id: a UUID in its canonical text form. */
export function checkJobId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID_PATTERN.test(value)) {
    throw invalid(field, 'a job id (a UUID)', value);
  }
  return value.toLowerCase();
}

/** The `client` option: absent, or something with a `query` method (a pg client or pool, or a `SqlExecutor`). */
export function checkClient(value: unknown): SqlExecutor | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof (value as Partial<SqlExecutor>).query !== 'function') {
    throw invalid('client', 'a pg client or pool, or an object with query(text, values)', value);
  }
  return value as SqlExecutor;
}
