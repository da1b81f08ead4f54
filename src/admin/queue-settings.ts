import { resolveBackoff } from '../config/backoff.js';
import { MAX_DURATION_MS } from '../config/options.js';
import type { BackoffPolicy } from '../kernel/types.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import {
  type GroupDefaults,
  MAX_LIMIT,
  resolveGroupDefaults,
  resolveRateLimit,
} from './group-settings.js';

/** How long a queue keeps finished jobs, and what happens to them then. */
export interface QueueRetention {
  /** Keep completed jobs this long, in ms. Default: the retention task's `olderThanMs`. */
  completedMs?: number;
  /** Keep dead jobs this long, in ms. Default: the retention task's `olderThanMs`. */
  deadMs?: number;
  /** Keep cancelled jobs this long, in ms. Default: the retention task's `olderThanMs`. */
  cancelledMs?: number;
  /** `archive` moves pruned jobs to `jobs_archive`; `delete` drops them. Default: the task's. */
  mode?: 'delete' | 'archive';
}

/**
 * Settings stored for a queue, applied to every producer and consumer of it in every process.
 * Each is optional; `null` clears a stored setting (back to the client's default).
 */
export interface QueueSettings {
  /** Lease of a claimed job, in ms, for workers that do not set `leaseMs`. */
  leaseMs?: number | null;
  /** `maxAttempts` of a job sent without one. */
  maxAttempts?: number | null;
  /** Backoff of a job sent without one. */
  backoff?: BackoffPolicy | null;
  /** At most this many jobs of the queue run at once, across every worker and process. */
  concurrencyLimit?: number | null;
  /** At most `count` jobs start per `periodMs`, across every worker and process. */
  rateLimit?: { count: number; periodMs: number } | null;
  /**
   * Claim jobs of every tenant in turn, so that one tenant's backlog cannot hold up another
   * tenant's jobs. Default false (strict priority, then run time, across tenants).
   */
  fairTenants?: boolean;
  /** How long finished jobs are kept (see {@link Queue.retention}). */
  retention?: QueueRetention | null;
  /**
   * Limits of every group (a job's `tenant`), exact across every process; `null` clears them.
   * A queue with group limits is fair (its claims serve groups in turn), and stays so.
   * Overrides for some groups: {@link GroupAdmin.set}.
   */
  groups?: GroupDefaults | null;
}

/** A queue's stored settings, from {@link QueueAdmin.get} and {@link QueueAdmin.list}. */
export interface QueueInfo {
  name: string;
  paused: boolean;
  leaseMs: number | null;
  maxAttempts: number | null;
  backoff: BackoffPolicy | null;
  concurrencyLimit: number | null;
  rateLimit: { count: number; periodMs: number } | null;
  fairTenants: boolean;
  retention: QueueRetention | null;
  /** Limits of every group of the queue (unset ones are null, `fifo` false). */
  groups: Required<GroupDefaults>;
  /** When the settings row was created; null for a queue that only has jobs. */
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A row of the queues table. */
export interface QueueRow {
  name: string;
  paused: boolean;
  lease_ms: number | null;
  max_attempts: number | null;
  backoff: BackoffPolicy | null;
  concurrency_limit: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  fair_tenants: boolean;
  retention: QueueRetention | null;
  group_concurrency_limit: number | null;
  group_rate_limit: number | null;
  group_rate_period_ms: number | null;
  group_fifo: boolean;
  created_at: Date;
  updated_at: Date;
}

const SETTING_KEYS = [
  'leaseMs',
  'maxAttempts',
  'backoff',
  'concurrencyLimit',
  'rateLimit',
  'fairTenants',
  'retention',
  'groups',
] as const;

/**
 * Validates queue settings and turns them into the patch queue_save.sql applies: only the keys
 * given, in column names, `null` for a cleared setting. Pure.
 *
 * @throws ValidationError naming the first bad setting.
 */
export function resolveQueueSettings(input: unknown): Record<string, unknown> {
  const settings = checkOptionsObject('settings', input);
  checkKnownKeys('settings', settings, SETTING_KEYS);
  const patch: Record<string, unknown> = {};
  const given = (key: (typeof SETTING_KEYS)[number]) => settings[key] !== undefined;
  const positive = (field: string, value: unknown, max: number) =>
    value === null ? null : checkInteger(field, value, 1, max);
  if (given('leaseMs')) patch.lease_ms = positive('leaseMs', settings.leaseMs, MAX_DURATION_MS);
  if (given('maxAttempts')) {
    patch.max_attempts = positive('maxAttempts', settings.maxAttempts, 1_000_000);
  }
  if (given('backoff')) {
    patch.backoff = settings.backoff === null ? null : resolveBackoff('backoff', settings.backoff);
  }
  if (given('concurrencyLimit')) {
    patch.concurrency_limit = positive('concurrencyLimit', settings.concurrencyLimit, MAX_LIMIT);
  }
  if (given('rateLimit')) {
    [patch.rate_limit, patch.rate_period_ms] = resolveRateLimit('rateLimit', settings.rateLimit);
  }
  if (given('fairTenants')) patch.fair_tenants = checkBoolean('fairTenants', settings.fairTenants);
  if (given('groups')) Object.assign(patch, resolveGroupDefaults(settings.groups));
  if (given('retention')) {
    patch.retention = settings.retention === null ? null : resolveRetention(settings.retention);
  }
  return patch;
}

function resolveRetention(value: unknown): QueueRetention {
  const input = checkOptionsObject('retention', value);
  checkKnownKeys('retention', input, ['completedMs', 'deadMs', 'cancelledMs', 'mode']);
  const retention: QueueRetention = {};
  for (const key of ['completedMs', 'deadMs', 'cancelledMs'] as const) {
    if (input[key] !== undefined) {
      retention[key] = checkInteger(`retention.${key}`, input[key], 0, Number.MAX_SAFE_INTEGER);
    }
  }
  if (input.mode !== undefined) {
    if (input.mode !== 'delete' && input.mode !== 'archive') {
      throw invalid('retention.mode', "'delete' or 'archive'", input.mode);
    }
    retention.mode = input.mode;
  }
  return retention;
}

/** A queue's settings as the API shows them. */
export function toQueueInfo(row: QueueRow): QueueInfo {
  return {
    name: row.name,
    paused: row.paused,
    leaseMs: row.lease_ms,
    maxAttempts: row.max_attempts,
    backoff: row.backoff,
    concurrencyLimit: row.concurrency_limit,
    rateLimit:
      row.rate_limit === null || row.rate_period_ms === null
        ? null
        : { count: row.rate_limit, periodMs: row.rate_period_ms },
    fairTenants: row.fair_tenants,
    retention: row.retention,
    groups: {
      concurrencyLimit: row.group_concurrency_limit,
      rateLimit:
        row.group_rate_limit === null || row.group_rate_period_ms === null
          ? null
          : { count: row.group_rate_limit, periodMs: row.group_rate_period_ms },
      fifo: row.group_fifo,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The settings of a queue that has no settings row: every default. */
export function defaultQueueInfo(name: string): QueueInfo {
  return {
    name,
    paused: false,
    leaseMs: null,
    maxAttempts: null,
    backoff: null,
    concurrencyLimit: null,
    rateLimit: null,
    fairTenants: false,
    retention: null,
    groups: { concurrencyLimit: null, rateLimit: null, fifo: false },
    createdAt: null,
    updatedAt: null,
  };
}
