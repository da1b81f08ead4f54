import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { type ResolvedBackoff, resolveBackoff } from '../config/backoff.js';
import { MAX_DURATION_MS } from '../config/options.js';
import { serializeJson } from '../kernel/json-value.js';
import type { BackoffPolicy, DependencyOptions, SqlExecutor } from '../kernel/types.js';
import {
  checkBoolean,
  checkClient,
  checkDate,
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkName,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';

/** Options of one job, for `send` and for each item of `sendBatch`. */
export interface JobOptions {
  /** The job type within the queue, for routing in the worker. Default `'default'`. */
  name?: string;
  /**
   * Run no earlier than this time, from year 1 to 9999 (a past time is due at once). Not with
   * `delayMs`. Default: now.
   */
  runAt?: Date;
  /**
   * Run no earlier than this many ms from now (database clock), an integer from 0 to 30 days.
   * Not with `runAt`.
   */
  delayMs?: number;
  /** Lower runs first, from -32768 to 32767. Default 0. */
  priority?: number;
  /** Attempts before the job goes to the dead state. Default: the queue's stored default, else 5. */
  maxAttempts?: number;
  /** How long to wait between attempts. Default: the queue's policy. */
  backoff?: BackoffPolicy;
  /**
   * At most one unfinished (pending or running) job per queue has a given key; with `retainKey`,
   * at most one job at all while its row exists. What a duplicate does depends on `onDuplicate`.
   */
  idempotencyKey?: string;
  /** Keep the key taken after the job finishes (until retention removes the job). Default false. */
  retainKey?: boolean;
  /** The tenant the job belongs to; a worker scoped to a tenant sees only its jobs. */
  tenant?: string;
}

/** What a send does when a job already holds its idempotency key. */
export type OnDuplicate = 'return' | 'reject' | 'replace';

/**
 * Options of `send`: the job's own ({@link JobOptions}), what to do when its idempotency key is
 * held, and the connection to write on.
 */
export interface SendOptions extends JobOptions, DependencyOptions {
  /**
   * When a job already holds the key: `return` its id with `duplicate: true` (the default);
   * `reject` with a JobAlreadyExistsError, writing nothing; or `replace` a pending holder's payload
   * and run time (debounce), returning its id with `replaced: true` (a running holder is left as
   * it is, and returned as a duplicate).
   */
  onDuplicate?: OnDuplicate;
  /**
   * Run on this client instead of the queue's pool, e.g. inside your own transaction: a job sent
   * this way exists, and wakes workers, only if that transaction commits. A node-postgres client
   * (`queue.withTransaction()` gives one), or any {@link SqlExecutor}: an adapter over another
   * library's transaction. The statement is sent as text with its values (unnamed), so it works
   * on any connection.
   */
  client?: SqlExecutor;
}

/** Options of `sendBatch` as a whole (each item carries its job's own options). */
export type SendBatchOptions = Pick<SendOptions, 'onDuplicate' | 'client'>;

/** One item of `sendBatch`: a payload and its options. */
export interface JobSpec<P = unknown> extends JobOptions {
  payload: P;
}

/** A validated job, ready to insert (`toSendColumns` in send-columns.ts gives send_jobs.sql's form). */
export interface ResolvedJobSpec {
  readonly id: string;
  readonly name: string;
  /** The payload as JSON text, already size-checked. */
  readonly payloadJson: string;
  readonly priority: number;
  /** ISO 8601, or null to use `delayMs` from the database's now(). */
  readonly runAt: string | null;
  readonly delayMs: number | null;
  /** Null: the queue's stored default, else the client's. */
  readonly maxAttempts: number | null;
  readonly backoff: ResolvedBackoff | null;
  readonly idempotencyKey: string | null;
  readonly keyRetained: boolean;
  readonly tenant: string | null;
}

/** What a queue contributes to a job's limits. */
export interface JobSpecDefaults {
  readonly maxPayloadBytes: number;
}

const JOB_OPTION_KEYS = [
  'name',
  'runAt',
  'delayMs',
  'priority',
  'maxAttempts',
  'backoff',
  'idempotencyKey',
  'retainKey',
  'tenant',
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
  id: string = uuidv7(),
): ResolvedJobSpec {
  const payloadJson = serializeJson(
    field === '' ? 'payload' : `${field}.payload`,
    payload,
    defaults.maxPayloadBytes,
  );
  if (options === undefined || isEmptyObject(options)) {
    // The common case of a batch: no options, every default.
    return {
      id,
      name: 'default',
      payloadJson,
      priority: 0,
      runAt: null,
      delayMs: null,
      maxAttempts: null,
      backoff: null,
      idempotencyKey: null,
      keyRetained: false,
      tenant: null,
    };
  }
  const at = (name: string) => (field === '' ? name : `${field}.${name}`);
  const opts = checkOptionsObject(field === '' ? 'options' : field, options);
  checkKnownKeys(field === '' ? 'options' : field, opts, JOB_OPTION_KEYS);
  if (opts.runAt !== undefined && opts.delayMs !== undefined) {
    throw invalid(at('delayMs'), 'absent when `runAt` is given (use one of them)', opts.delayMs);
  }
  return {
    id,
    name: opts.name === undefined ? 'default' : checkName(at('name'), opts.name),
    payloadJson,
    priority: checkInteger(at('priority'), opts.priority ?? 0, -32768, 32767),
    runAt: opts.runAt === undefined ? null : checkDate(at('runAt'), opts.runAt).toISOString(),
    delayMs:
      opts.delayMs === undefined
        ? null
        : checkInteger(at('delayMs'), opts.delayMs, 0, MAX_DURATION_MS),
    maxAttempts:
      opts.maxAttempts === undefined
        ? null
        : checkInteger(at('maxAttempts'), opts.maxAttempts, 1, 1_000_000),
    backoff: opts.backoff === undefined ? null : resolveBackoff(at('backoff'), opts.backoff),
    idempotencyKey:
      opts.idempotencyKey === undefined
        ? null
        : checkIdentifier(at('idempotencyKey'), opts.idempotencyKey, 512),
    keyRetained:
      opts.retainKey === undefined ? false : checkBoolean(at('retainKey'), opts.retainKey),
    tenant: opts.tenant === undefined ? null : checkIdentifier(at('tenant'), opts.tenant, 256),
  };
}

/**
 * Splits a `send` call's options into the job's and the call's, validating the call's.
 *
 * @throws ValidationError for a bad `client` or `onDuplicate`.
 */
export function splitSendOptions(input: unknown): {
  job: Record<string, unknown> | undefined;
  client: SqlExecutor | undefined;
  onDuplicate: OnDuplicate;
  /** As given, checked by the flow's code. */
  dependsOn: unknown;
  onParentFailure: unknown;
} {
  const { client, onDuplicate, dependsOn, onParentFailure, ...job } =
    input === undefined ? {} : checkOptionsObject('options', input);
  return {
    job: input === undefined ? undefined : job,
    client: checkClient(client),
    onDuplicate: checkOnDuplicate(onDuplicate),
    dependsOn,
    onParentFailure,
  };
}

/** The `onDuplicate` option: `return` (default), `reject` or `replace`. */
export function checkOnDuplicate(value: unknown): OnDuplicate {
  if (value === undefined) return 'return';
  if (value === 'return' || value === 'reject' || value === 'replace') return value;
  throw invalid('onDuplicate', "'return', 'reject' or 'replace'", value);
}

function isEmptyObject(value: unknown): boolean {
  if (
    value === null ||
    typeof value !== 'object' ||
    Object.getPrototypeOf(value) !== Object.prototype
  )
    return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * New job ids, time-ordered (UUIDv7) so that inserts append to the primary key index: the random
 * bits of a whole batch come from one call, and a rising sequence keeps the batch in order.
 */
export function newJobIds(count: number): string[] {
  if (count === 0) return [];
  const random = randomBytes(16 * count);
  const msecs = Date.now();
  const start = random.readUInt32BE(0) >>> 2;
  return Array.from({ length: count }, (_, i) =>
    uuidv7({ random: random.subarray(i * 16, i * 16 + 16), msecs, seq: start + i }),
  );
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
  const ids = newJobIds(items.length);
  return items.map((item: unknown, index) => {
    const field = `items[${index}]`;
    if (item === null || typeof item !== 'object')
      throw invalid(field, 'an object with a `payload`', item);
    if (!('payload' in item)) throw invalid(`${field}.payload`, 'a JSON value', undefined);
    // Most items hold nothing but a payload: only copy the options out when there are some.
    let options: Record<string, unknown> | undefined;
    for (const key in item) {
      if (key !== 'payload' && Object.hasOwn(item, key)) {
        const { payload: _, ...rest } = item as Record<string, unknown>;
        options = rest;
        break;
      }
    }
    return resolveJobSpec(
      field,
      (item as { payload: unknown }).payload,
      options,
      defaults,
      ids[index],
    );
  });
}
