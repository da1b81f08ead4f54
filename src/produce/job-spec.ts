import { v7 as uuidv7 } from 'uuid';
import { MAX_DURATION_MS } from '../config.js';
import { jsonArrayParam } from '../db/json-param.js';
import { type ResolvedBackoff, resolveBackoff } from '../settle/backoff.js';
import type { BackoffPolicy } from '../types.js';
import {
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../validate.js';
import { serializeJson } from './json-value.js';

/** Options of one job, for `send` and for each item of `sendBatch`. */
export interface SendOptions {
  /** The job type within the queue, for routing in the worker. Default `'default'`. */
  name?: string;
  /** Run no earlier than this time. Not with `delayMs`. Default: now. */
  runAt?: Date;
  /** Run no earlier than this many ms from now (database clock). Not with `runAt`. */
  delayMs?: number;
  /** Lower runs first, from -32768 to 32767. Default 0. */
  priority?: number;
  /** Attempts before the job goes to the dead state. Default: the queue's (5). */
  maxAttempts?: number;
  /** How long to wait between attempts. Default: the queue's policy. */
  backoff?: BackoffPolicy;
  /**
   * At most one unfinished (pending or running) job per queue has a given key. Sending a
   * duplicate adds nothing and returns the existing job's id with `duplicate: true`.
   */
  idempotencyKey?: string;
  /** The tenant the job belongs to; a worker scoped to a tenant sees only its jobs. */
  tenant?: string;
}

/** One item of `sendBatch`: a payload and its options. */
export interface JobSpec<P = unknown> extends SendOptions {
  payload: P;
}

/** A validated job, ready to insert: the shape of one element of send_jobs.sql's `$1`. */
export interface ResolvedJobSpec {
  readonly id: string;
  readonly name: string;
  /** The payload as JSON text, already size-checked. */
  readonly payloadJson: string;
  readonly priority: number;
  /** ISO 8601, or null to use `delayMs` from the database's now(). */
  readonly runAt: string | null;
  readonly delayMs: number | null;
  readonly maxAttempts: number;
  readonly backoff: ResolvedBackoff | null;
  readonly idempotencyKey: string | null;
  readonly tenant: string | null;
}

/** What a queue contributes to a job's defaults and limits. */
export interface JobSpecDefaults {
  readonly maxAttempts: number;
  readonly maxPayloadBytes: number;
}

const SEND_OPTION_KEYS = [
  'name',
  'runAt',
  'delayMs',
  'priority',
  'maxAttempts',
  'backoff',
  'idempotencyKey',
  'tenant',
  'client',
] as const;

/**
 * Validates one job and fills in its defaults. Pure: no database, no clock (a relative delay is
 * resolved by the database so that producer clock skew cannot move a job).
 *
 * @param field - how the job is named in errors: `''` for `send`, `items[3]` for a batch item.
 * @throws ValidationError naming the first bad field.
 */
export function resolveJobSpec(
  field: string,
  payload: unknown,
  options: unknown,
  defaults: JobSpecDefaults,
): ResolvedJobSpec {
  const at = (name: string) => (field === '' ? name : `${field}.${name}`);
  const opts = checkOptionsObject(field === '' ? 'options' : field, options);
  checkKnownKeys(field === '' ? 'options' : field, opts, SEND_OPTION_KEYS);
  if (opts.runAt !== undefined && opts.delayMs !== undefined) {
    throw invalid(at('delayMs'), 'absent when `runAt` is given (use one of them)', opts.delayMs);
  }
  return {
    id: uuidv7(),
    name: opts.name === undefined ? 'default' : checkName(at('name'), opts.name),
    payloadJson: serializeJson(at('payload'), payload, defaults.maxPayloadBytes),
    priority: checkInteger(at('priority'), opts.priority ?? 0, -32768, 32767),
    runAt: opts.runAt === undefined ? null : checkDate(at('runAt'), opts.runAt).toISOString(),
    delayMs:
      opts.delayMs === undefined
        ? null
        : checkInteger(at('delayMs'), opts.delayMs, 0, MAX_DURATION_MS),
    maxAttempts: checkInteger(
      at('maxAttempts'),
      opts.maxAttempts ?? defaults.maxAttempts,
      1,
      1_000_000,
    ),
    backoff: opts.backoff === undefined ? null : resolveBackoff(at('backoff'), opts.backoff),
    idempotencyKey:
      opts.idempotencyKey === undefined
        ? null
        : checkIdentifier(at('idempotencyKey'), opts.idempotencyKey, 512),
    tenant: opts.tenant === undefined ? null : checkIdentifier(at('tenant'), opts.tenant, 256),
  };
}

/** Most jobs one `sendBatch` call takes; send more in several calls. */
export const MAX_BATCH_SIZE = 100_000;

/**
 * Validates every item of a batch; the first bad one fails the whole batch.
 *
 * @throws ValidationError naming the item, e.g. `items[3].payload`.
 */
export function resolveBatch(items: unknown, defaults: JobSpecDefaults): ResolvedJobSpec[] {
  if (!Array.isArray(items) || items.length > MAX_BATCH_SIZE) {
    throw invalid('items', `an array of at most ${MAX_BATCH_SIZE} jobs`, items);
  }
  return items.map((item: unknown, index) => {
    const field = `items[${index}]`;
    const { payload, ...rest } = checkOptionsObject(field, item);
    if (!('payload' in (item as object)))
      throw invalid(`${field}.payload`, 'a JSON value', undefined);
    return resolveJobSpec(field, payload, rest, defaults);
  });
}

function checkDate(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(field, 'a valid Date', value);
  }
  return value;
}

/** The JSON array send_jobs.sql takes as `$1`. */
export function toSendJson(specs: readonly ResolvedJobSpec[]): string {
  return jsonArrayParam(
    specs.map((spec) => ({
      fields: {
        id: spec.id,
        name: spec.name,
        priority: spec.priority,
        run_at: spec.runAt,
        delay_ms: spec.delayMs,
        max_attempts: spec.maxAttempts,
        backoff: spec.backoff,
        idempotency_key: spec.idempotencyKey,
        tenant: spec.tenant,
      },
      raw: { payload: spec.payloadJson },
    })),
  );
}
