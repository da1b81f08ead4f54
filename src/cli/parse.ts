import { InvalidArgumentError, Option } from 'commander';
import { JOB_STATES, type JobState } from '../kernel/types.js';
import { UsageError } from './runtime.js';

// Option parsers throw commander's InvalidArgumentError: commander prints it as one line naming
// the option, and main.ts exits with the usage status (2).

/** An integer option within `[min, max]`, e.g. `--delay-ms 500`. */
export function integer(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${flag} must be an integer ${range}.`);
    }
    return n;
  };
}

/** A JSON argument, e.g. a payload. */
export function json(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * An earlier name of an option, still accepted but left out of `--help` (e.g. `--delay` for
 * `--delay-ms`): every duration option now says its unit.
 */
export function formerName(flags: string, parse: (value: string) => unknown): Option {
  return new Option(flags).hideHelp().argParser(parse);
}

/** An ISO 8601 date option. */
export function date(flag: string) {
  return (value: string): Date => {
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) {
      throw new InvalidArgumentError(`${flag} must be a date such as 2026-01-31T12:00:00Z.`);
    }
    return parsed;
  };
}

/** Job states, repeated or comma-separated: `--state dead --state pending`, `--state dead,pending`. */
export function states(value: string, previous: JobState[] = []): JobState[] {
  const out = [...previous];
  for (const part of value.split(',')) {
    const state = part.trim();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new InvalidArgumentError(`--state must be one of ${JOB_STATES.join(', ')}.`);
    }
    out.push(state as JobState);
  }
  return out;
}

/** A repeatable string option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `count/periodMs`, e.g. `100/60000`. */
export function rateLimit(value: string): { count: number; periodMs: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError('--rate-limit must be COUNT/PERIOD_MS such as 100/60000.');
  }
  return { count: Number(match[1]), periodMs: Number(match[2]) };
}
