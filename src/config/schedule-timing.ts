import { Cron } from 'croner';
import type { MisfirePolicy, OverlapPolicy, ScheduleTiming } from '../kernel/schedule-types.js';
import { type CheckKind, checkDate, checkInteger, invalid } from '../kernel/validate.js';

/** The shortest interval a schedule may have, in ms: anything shorter is a busy loop, not a schedule. */
export const MIN_EVERY_MS = 100;

/** The longest interval, in ms: about 100 years. */
export const MAX_EVERY_MS = 100 * 366 * 86_400_000;

/** The default of `misfireCap`. */
export const DEFAULT_MISFIRE_CAP = 100;

/** {@link ScheduleTiming} after validation. */
export interface ResolvedTiming {
  readonly cron: string | null;
  readonly everyMs: number | null;
  readonly timezone: string;
  readonly overlap: OverlapPolicy;
  readonly misfire: MisfirePolicy;
  readonly misfireCap: number;
  readonly startAt: Date | null;
  readonly endAt: Date | null;
  readonly maxRuns: number | null;
}

/** The keys of {@link ScheduleTiming}. */
export const TIMING_KEYS = [
  'cron',
  'every',
  'timezone',
  'overlap',
  'misfire',
  'misfireCap',
  'startAt',
  'endAt',
  'maxRuns',
] as const;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * An interval in ms: an integer, or a duration string of number-unit parts (`ms`, `s`, `m`,
 * `h`, `d`), e.g. `'250ms'`, `'1.5s'`, `'1h30m'`. At least {@link MIN_EVERY_MS}.
 */
export function parseEvery(field: string, value: unknown, kind: CheckKind = 'validation'): number {
  const expectation = `an interval of at least ${MIN_EVERY_MS} ms: whole milliseconds, or a duration such as '250ms', '30s', '5m', '1h30m', '1d'`;
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string' && DURATION.test(value.trim())) {
    ms = 0;
    for (const [, amount, unit] of value.trim().matchAll(DURATION_PART)) {
      ms += Number(amount) * (UNIT_MS[unit as string] ?? Number.NaN);
    }
  } else {
    throw invalid(field, expectation, value, kind);
  }
  if (!Number.isInteger(ms) || ms < MIN_EVERY_MS || ms > MAX_EVERY_MS) {
    throw invalid(field, expectation, value, kind);
  }
  return ms;
}

/** An IANA time zone the runtime knows (`Intl`), e.g. `Europe/Berlin` or `UTC`. */
export function checkTimezone(
  field: string,
  value: unknown,
  kind: CheckKind = 'validation',
): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= 64) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return value;
    } catch {
      // Unknown zone: reported below.
    }
  }
  throw invalid(field, 'a known IANA time zone such as `Europe/Berlin` or `UTC`', value, kind);
}

/** A parsed cron expression, kept per (expression, zone): parsing costs more than stepping. */
const crons = new Map<string, Cron>();

/** The croner evaluator of an expression in a zone; throws croner's error for a bad one. */
export function cronOf(expression: string, timezone: string): Cron {
  const key = `${timezone}\u0000${expression}`;
  let cron = crons.get(key);
  if (cron === undefined) {
    if (crons.size >= 10_000) crons.clear();
    cron = new Cron(expression, { timezone, paused: true });
    crons.set(key, cron);
  }
  return cron;
}

/** A cron expression croner accepts, in a known zone, that fires at least once more. */
function checkCron(field: string, value: unknown, timezone: string, kind: CheckKind): string {
  const expectation =
    'a cron expression of 5, 6 (seconds first) or 7 fields, such as `*/15 * * * * *` or `0 30 2 * * *`';
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 256) {
    throw invalid(field, expectation, value, kind);
  }
  let cron: Cron;
  try {
    cron = cronOf(value.trim(), timezone);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^[A-Za-z]+: /, '') : '';
    const failure = invalid(field, `${expectation} (${reason})`, value, kind);
    failure.cause = error;
    throw failure;
  }
  if (cron.nextRun() === null) {
    throw invalid(field, `${expectation} that fires again`, value, kind);
  }
  return value.trim();
}

/**
 * Validates a schedule's timing and fills in its defaults. Pure (no clock: whether the schedule
 * ever ticks again is decided against the database's clock when it is set).
 *
 * @param prefix - how the timing's fields are named in errors: `''`, or `schedule.` for one
 *   declared with a job definition.
 * @throws ValidationError (or ConfigurationError with `kind`) naming the first bad field.
 */
export function resolveTiming(
  input: ScheduleTiming,
  prefix = '',
  kind: CheckKind = 'validation',
): ResolvedTiming {
  const at = (name: string) => `${prefix}${name}`;
  if ((input.cron === undefined) === (input.every === undefined)) {
    throw invalid(at('cron'), 'given, or `every` instead (exactly one of them)', input.cron, kind);
  }
  const timezone =
    input.timezone === undefined ? 'UTC' : checkTimezone(at('timezone'), input.timezone, kind);
  const overlap = input.overlap ?? 'allow';
  if (overlap !== 'allow' && overlap !== 'skip') {
    throw invalid(at('overlap'), "'allow' or 'skip'", overlap, kind);
  }
  const misfire = input.misfire ?? 'once';
  if (misfire !== 'once' && misfire !== 'all' && misfire !== 'skip') {
    throw invalid(at('misfire'), "'once', 'all' or 'skip'", misfire, kind);
  }
  const startAt = input.startAt === undefined ? null : checkDate(at('startAt'), input.startAt);
  const endAt = input.endAt === undefined ? null : checkDate(at('endAt'), input.endAt);
  if (startAt !== null && endAt !== null && endAt.getTime() < startAt.getTime()) {
    throw invalid(at('endAt'), 'no earlier than `startAt`', endAt, kind);
  }
  return Object.freeze({
    cron: input.cron === undefined ? null : checkCron(at('cron'), input.cron, timezone, kind),
    everyMs: input.every === undefined ? null : parseEvery(at('every'), input.every, kind),
    timezone,
    overlap,
    misfire,
    misfireCap: checkInteger(
      at('misfireCap'),
      input.misfireCap ?? DEFAULT_MISFIRE_CAP,
      1,
      10_000,
      kind,
    ),
    startAt,
    endAt,
    maxRuns:
      input.maxRuns === undefined
        ? null
        : checkInteger(at('maxRuns'), input.maxRuns, 1, Number.MAX_SAFE_INTEGER, kind),
  });
}
