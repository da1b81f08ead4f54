import { MAX_DURATION_MS } from '../config/options.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';

/** The most any concurrency or rate limit may be: beyond it, a limit is a typo. */
export const MAX_LIMIT = 1_000_000;

/**
 * Limits of every group (a job's `tenant`) of a queue, stored with the queue
 * (`QueueSettings.groups`). `null` clears one.
 */
export interface GroupDefaults {
  /** At most this many jobs of each group run at once, across every worker and process. */
  concurrencyLimit?: number | null;
  /** At most `count` jobs of each group start per `periodMs`, across every worker and process. */
  rateLimit?: { count: number; periodMs: number } | null;
  /**
   * Strict order within each group: one job at a time, in order of sending; a retried or orphaned
   * job keeps its place at the head. Default false.
   */
  fifo?: boolean;
}

/** Limits of one group that override the queue's {@link GroupDefaults}; `null` clears one. */
export interface GroupOverride {
  /** At most this many of the group's jobs run at once. */
  concurrencyLimit?: number | null;
  /** At most `count` of the group's jobs start per `periodMs`. */
  rateLimit?: { count: number; periodMs: number } | null;
}

/** The columns of a rate limit, or nulls to clear it. Pure. */
export function resolveRateLimit(field: string, value: unknown): [number | null, number | null] {
  if (value === null) return [null, null];
  const limit = checkOptionsObject(field, value);
  if (Object.keys(limit).length === 0) throw invalid(field, '{ count, periodMs } or null', value);
  checkKnownKeys(field, limit, ['count', 'periodMs']);
  return [
    checkInteger(`${field}.count`, limit.count, 1, MAX_LIMIT),
    checkInteger(`${field}.periodMs`, limit.periodMs, 1, MAX_DURATION_MS),
  ];
}

function resolveLimits(
  field: string,
  input: Record<string, unknown>,
  prefix: string,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (input.concurrencyLimit !== undefined) {
    patch[`${prefix}concurrency_limit`] =
      input.concurrencyLimit === null
        ? null
        : checkInteger(`${field}concurrencyLimit`, input.concurrencyLimit, 1, MAX_LIMIT);
  }
  if (input.rateLimit !== undefined) {
    const [count, periodMs] = resolveRateLimit(`${field}rateLimit`, input.rateLimit);
    patch[`${prefix}rate_limit`] = count;
    patch[`${prefix}rate_period_ms`] = periodMs;
  }
  return patch;
}

/**
 * Validates `QueueSettings.groups` into queue_save.sql's patch (group_* columns); `null` clears
 * every group default. Pure.
 *
 * @throws ValidationError naming the first bad setting.
 */
export function resolveGroupDefaults(value: unknown): Record<string, unknown> {
  if (value === null) {
    return {
      group_concurrency_limit: null,
      group_rate_limit: null,
      group_rate_period_ms: null,
      group_fifo: false,
    };
  }
  const input = checkOptionsObject('groups', value);
  checkKnownKeys('groups', input, ['concurrencyLimit', 'rateLimit', 'fifo']);
  const patch = resolveLimits('groups.', input, 'group_');
  if (input.fifo !== undefined) patch.group_fifo = checkBoolean('groups.fifo', input.fifo);
  return patch;
}

/**
 * Validates one group's override into group_save.sql's patch. Pure.
 *
 * @throws ValidationError naming the first bad setting, or for an override that sets nothing.
 */
export function resolveGroupOverride(value: unknown): Record<string, unknown> {
  const input = checkOptionsObject('override', value);
  checkKnownKeys('override', input, ['concurrencyLimit', 'rateLimit']);
  const patch = resolveLimits('', input, '');
  if (Object.keys(patch).length === 0) {
    throw invalid('override', '{ concurrencyLimit?, rateLimit? } with at least one', value);
  }
  return patch;
}
