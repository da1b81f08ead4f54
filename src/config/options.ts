import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { ConfigurationError } from '../kernel/errors.js';
import { type Logger, resolveLogger } from '../kernel/logger.js';
import type { BackoffPolicy } from '../kernel/types.js';
import {
  checkBoolean,
  checkIdentifier,
  checkInteger,
  checkKnownKeys,
  checkOptionsObject,
  invalid,
} from '../kernel/validate.js';
import { DEFAULT_BACKOFF, type ResolvedBackoff, resolveBackoff } from './backoff.js';
import { checkSchemaName } from './schema-name.js';

/**
 * What sits between a queue and PostgreSQL, by the pooler's pool mode (PgBouncer's `pool_mode`):
 * `'none'` (a direct connection), `'session'` or `'transaction'`. See {@link QueueOptions.pooler}.
 */
export type PoolerMode = 'none' | 'session' | 'transaction';

/** Every {@link PoolerMode}. */
export const POOLER_MODES: readonly PoolerMode[] = ['none', 'session', 'transaction'];

/** Options of {@link Queue}. Give exactly one of `connectionString` and `pool`. */
export interface QueueOptions {
  /** A PostgreSQL connection string; the queue creates, and on `close()` ends, its own pool. */
  connectionString?: string;
  /** An existing `pg.Pool` to use; the queue leaves it open on `close()`. */
  pool?: pg.Pool;
  /** Connections of the pool created from `connectionString`. Default 10. */
  poolSize?: number;
  /**
   * How long opening a connection may take before it fails, in ms (the pool's and the LISTEN
   * connection's): an unreachable host fails instead of hanging. A call waiting for a free
   * connection of a busy pool is not bounded by it: it waits its turn. Default 10,000.
   */
  connectTimeoutMs?: number;
  /**
   * The schema holding pgpulse's tables: lowercase letters, digits and `_`, at most 48
   * characters, not starting with `pg_`. Default `'pgpulse'`.
   */
  schema?: string;
  /** Default lease duration of a claim, in ms. Default 30,000. */
  leaseMs?: number;
  /** Default `maxAttempts` of a new job. Default 5. */
  maxAttempts?: number;
  /** Default backoff of a job that names none. Default exponential from 1 s, ×2, up to 1 h. */
  backoff?: BackoffPolicy;
  /** Largest payload or result, in bytes of JSON. Default 1,048,576 (1 MiB). */
  maxPayloadBytes?: number;
  /** How many error records each job keeps. Default 20. */
  errorHistory?: number;
  /** This process's id in the `workerId` of jobs it claims. Default `host:pid:random`. */
  workerId?: string;
  /**
   * Where pgpulse logs, by level (see {@link Logger}): called as `(message, fields)`, fields
   * with a `scope`; a pino logger is recognised and adapted. Default: `console.warn` and
   * `console.error`, without debug and info (give `console` for every level).
   */
  logger?: Logger;
  /**
   * Wake consumers with LISTEN/NOTIFY (one connection per queue object). `false` runs them on
   * polling alone. Default true.
   */
  listen?: boolean;
  /**
   * Where to LISTEN, when queries go through a pooler in transaction mode (which cannot carry
   * notifications): a direct connection string. Default: the queue's own connection.
   */
  listenConnectionString?: string;
  /**
   * The connection pooler the queue's connection goes through, by its pool mode. Default
   * `'none'`: a direct connection to PostgreSQL.
   *
   * - `'none'`: statements are prepared once per connection (named), and a pool made from
   *   `connectionString` sets `plan_cache_mode` through the connection's startup `options`.
   * - `'session'` (a pooler that gives each client its own server connection, such as PgBouncer
   *   with `pool_mode = session`): as `'none'`, but no startup `options`, which PgBouncer
   *   refuses unless its `ignore_startup_parameters` lists them.
   * - `'transaction'` (PgBouncer with `pool_mode = transaction`, and other poolers that hand out
   *   a server connection per transaction): statements are sent unnamed, so none is looked for
   *   on a server connection that never prepared it (each is parsed and planned on every call);
   *   no startup `options`; and LISTEN never goes through the pooler, which cannot deliver
   *   notifications: give `listenConnectionString` (a direct connection), or consumers poll,
   *   with one warning (none with `listen: false`).
   *
   * @example
   * ```ts
   * const queue = new Queue({
   *   connectionString: 'postgres://app@pgbouncer:6432/app',
   *   pooler: 'transaction',
   *   listenConnectionString: 'postgres://app@db:5432/app', // direct, for LISTEN only
   * });
   * ```
   */
  pooler?: PoolerMode;
}

/** {@link QueueOptions} after validation, with every default filled in. */
export interface ResolvedQueueOptions {
  readonly connection:
    | { readonly kind: 'pool'; readonly pool: pg.Pool }
    | { readonly kind: 'url'; readonly connectionString: string; readonly poolSize: number };
  readonly connectTimeoutMs: number;
  readonly schema: string;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly backoff: ResolvedBackoff;
  readonly maxPayloadBytes: number;
  readonly errorHistory: number;
  readonly workerId: string;
  /** The logger, every level present (a level it lacks does nothing), pino adapted. */
  readonly logger: Required<Logger>;
  readonly listen: boolean;
  readonly listenConnectionString: string | null;
  readonly pooler: PoolerMode;
}

/** Default of {@link QueueOptions.schema}. */
export const DEFAULT_SCHEMA = 'pgpulse';
/** Default of {@link QueueOptions.leaseMs}. */
export const DEFAULT_LEASE_MS = 30_000;
/** Default of {@link QueueOptions.maxAttempts}; the jobs table's column default matches it. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Default of {@link QueueOptions.maxPayloadBytes}. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Default of {@link QueueOptions.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default of {@link QueueOptions.pooler}: a direct connection. */
export const DEFAULT_POOLER: PoolerMode = 'none';
/** Largest accepted lease or delay: 30 days, in ms. */
export const MAX_DURATION_MS = 30 * 24 * 3_600_000;

const QUEUE_OPTION_KEYS = [
  'connectionString',
  'pool',
  'poolSize',
  'connectTimeoutMs',
  'schema',
  'leaseMs',
  'maxAttempts',
  'backoff',
  'maxPayloadBytes',
  'errorHistory',
  'workerId',
  'logger',
  'listen',
  'listenConnectionString',
  'pooler',
] as const;

/** A worker id unique to this process: host, pid and a random suffix. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Validates queue options and fills in defaults.
 *
 * @throws ConfigurationError naming the first bad option; nothing has connected yet.
 */
export function resolveQueueOptions(input: QueueOptions): ResolvedQueueOptions {
  const options = checkOptionsObject('options', input, 'configuration');
  checkKnownKeys('options', options, QUEUE_OPTION_KEYS, 'configuration');
  const kind = 'configuration';
  const logger = resolveLogger(options.logger);
  if (logger === undefined) {
    throw invalid('logger', 'an object with warn() and error() methods', options.logger, kind);
  }
  return Object.freeze({
    connection: resolveConnection(options),
    connectTimeoutMs: checkInteger(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      1,
      MAX_DURATION_MS,
      kind,
    ),
    schema: checkSchemaName(options.schema ?? DEFAULT_SCHEMA),
    leaseMs: checkInteger('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 1, MAX_DURATION_MS, kind),
    maxAttempts: checkInteger(
      'maxAttempts',
      options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      1,
      1_000_000,
      kind,
    ),
    backoff:
      options.backoff === undefined
        ? DEFAULT_BACKOFF
        : resolveBackoff('backoff', options.backoff, kind),
    maxPayloadBytes: checkInteger(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      2,
      256 * 1024 * 1024,
      kind,
    ),
    errorHistory: checkInteger('errorHistory', options.errorHistory ?? 20, 1, 1000, kind),
    workerId: checkIdentifier('workerId', options.workerId ?? defaultWorkerId(), 128, kind),
    logger,
    listen: checkBoolean('listen', options.listen ?? true, kind),
    listenConnectionString: resolveListenConnection(options.listenConnectionString),
    pooler: resolvePooler(options.pooler),
  });
}

function resolvePooler(value: unknown): PoolerMode {
  if (value === undefined) return DEFAULT_POOLER;
  if (!(POOLER_MODES as readonly unknown[]).includes(value)) {
    throw invalid('pooler', "'none', 'session' or 'transaction'", value, 'configuration');
  }
  return value as PoolerMode;
}

function resolveListenConnection(value: unknown): string | null {
  if (value === undefined) return null;
  return checkConnectionString('listenConnectionString', value);
}

/**
 * A connection string node-postgres can use: a `postgres://` or `postgresql://` URL, a
 * `socket:` URL, or a Unix socket directory. Anything else node-postgres would resolve as a path
 * relative to a dummy URL, and then fail to find a host named `base`.
 */
export function checkConnectionString(field: string, value: unknown): string {
  // Never echo the value: a connection string may hold a password.
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(`Expected \`${field}\` to be a non-empty string`, { field });
  }
  if (value.startsWith('/')) return value;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || !['postgres:', 'postgresql:', 'socket:'].includes(url.protocol)) {
    throw new ConfigurationError(
      `Expected \`${field}\` to be a PostgreSQL connection string such as ` +
        'postgres://user@host:5432/database; it is malformed',
      { field },
    );
  }
  return value;
}

function resolveConnection(options: Record<string, unknown>): ResolvedQueueOptions['connection'] {
  const { connectionString, pool } = options;
  if ((connectionString === undefined) === (pool === undefined)) {
    throw new ConfigurationError('Give exactly one of `connectionString` and `pool`');
  }
  if (pool !== undefined) {
    // Duck-typed: the application may load its own copy of `pg`, failing `instanceof`.
    const candidate = pool as Partial<pg.Pool> | null;
    if (typeof candidate?.query !== 'function' || typeof candidate.connect !== 'function') {
      throw invalid('pool', 'a pg.Pool', pool, 'configuration');
    }
    if (options.poolSize !== undefined) {
      throw new ConfigurationError('`poolSize` applies only with `connectionString`');
    }
    return Object.freeze({ kind: 'pool', pool: pool as pg.Pool });
  }
  return Object.freeze({
    kind: 'url',
    connectionString: checkConnectionString('connectionString', connectionString),
    poolSize: checkInteger('poolSize', options.poolSize ?? 10, 1, 1000, 'configuration'),
  });
}
