import type { GrantSet } from './types.js';

/**
 * The stable string codes of every error pgpulse throws. Branch on `error.code`, never on the
 * message text, which may change between versions.
 */
export const ErrorCode = {
  /** An argument or option was rejected before anything was written. */
  validation: 'PGPULSE_VALIDATION',
  /** The queue itself is misconfigured (connection, schema name, conflicting options). */
  configuration: 'PGPULSE_CONFIGURATION',
  /** The database schema is missing, older than this code (run `migrate()`), or newer. */
  schemaVersion: 'PGPULSE_SCHEMA_VERSION',
  /** No job has this id. */
  jobNotFound: 'PGPULSE_JOB_NOT_FOUND',
  /** The job is not in a state that allows the operation (e.g. retrying a completed job). */
  invalidState: 'PGPULSE_INVALID_STATE',
  /** The caller no longer holds the job's lease: it expired and was reclaimed, or was released. */
  leaseLost: 'PGPULSE_LEASE_LOST',
  /** The job was cancelled; cancellation wins over a later completion or failure. */
  jobCancelled: 'PGPULSE_JOB_CANCELLED',
  /** The queue was closed with `close()`. */
  queueClosed: 'PGPULSE_QUEUE_CLOSED',
  /** Thrown by a handler to send its job to the dead state without further attempts. */
  nonRetryable: 'PGPULSE_NON_RETRYABLE',
  /** In reject mode, a job already holds the idempotency key; nothing was written. */
  jobExists: 'PGPULSE_JOB_EXISTS',
  /** A handler ran past its job's `timeoutMs`; the attempt failed and may be retried. */
  jobTimeout: 'PGPULSE_JOB_TIMEOUT',
  /** The worker stopped before the handler finished; the job went back to pending. */
  workerStopped: 'PGPULSE_WORKER_STOPPED',
  /** No queue has this name (no settings and no jobs). */
  queueNotFound: 'PGPULSE_QUEUE_NOT_FOUND',
  /** No schedule has this name. */
  scheduleNotFound: 'PGPULSE_SCHEDULE_NOT_FOUND',
  /** The queue has running jobs, and the operation would pull them from under their workers. */
  queueBusy: 'PGPULSE_QUEUE_BUSY',
  /**
   * The database could not be reached, or the connection dropped mid-statement (a restart, a
   * network cut, `pg_terminate_backend`): transient; whether the statement took effect is
   * unknown unless the operation says otherwise.
   */
  connection: 'PGPULSE_CONNECTION',
  /** The database role lacks a privilege the operation needs (SQLSTATE 42501). */
  permission: 'PGPULSE_PERMISSION',
} as const;

/** One of the values of the `ErrorCode` object. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base class of every pgpulse error. */
export class PgPulseError extends Error {
  /** A stable code, one of the values of `ErrorCode`. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * An argument or option was rejected; nothing was written.
 *
 * @example
 * ```ts
 * try { await queue.send('emails', payload, { delayMs: -1 }); }
 * catch (e) { if (e instanceof ValidationError) console.error(e.field, e.message); }
 * ```
 */
export class ValidationError extends PgPulseError {
  /** The path of the rejected value, e.g. `delayMs` or `items[3].payload.when`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.validation, message, options);
    this.field = field;
  }
}

/** The queue's own configuration is wrong: bad schema name, no connection, conflicting options. */
export class ConfigurationError extends PgPulseError {
  /** The option at fault, e.g. `leaseMs` or `backoff.baseMs`, when one is. */
  readonly field: string | undefined;

  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(ErrorCode.configuration, message, options);
    this.field = options?.field;
  }
}

/** The database schema is missing or at a version this code cannot work with. */
export class SchemaVersionError extends PgPulseError {
  /** The version found in the database (0 when the schema is not installed). */
  readonly databaseVersion: number;
  /** The newest version this code knows. */
  readonly codeVersion: number;

  constructor(databaseVersion: number, codeVersion: number, message: string) {
    super(ErrorCode.schemaVersion, message);
    this.databaseVersion = databaseVersion;
    this.codeVersion = codeVersion;
  }
}

/** The queue was closed; create a new one to go on. */
export class QueueClosedError extends PgPulseError {
  constructor() {
    super(ErrorCode.queueClosed, 'The queue is closed');
  }
}

/** No queue has this name: it has neither stored settings nor jobs. */
export class QueueNotFoundError extends PgPulseError {
  readonly queue: string;

  constructor(queue: string) {
    super(ErrorCode.queueNotFound, `Queue ${JSON.stringify(queue)} does not exist`);
    this.queue = queue;
  }
}

/** No schedule has this name. */
export class ScheduleNotFoundError extends PgPulseError {
  readonly schedule: string;

  constructor(schedule: string) {
    super(ErrorCode.scheduleNotFound, `Schedule ${JSON.stringify(schedule)} does not exist`);
    this.schedule = schedule;
  }
}

/** The queue has running jobs: deleting it needs `force`. Nothing was deleted. */
export class QueueBusyError extends PgPulseError {
  readonly queue: string;
  /** How many of its jobs were running. */
  readonly running: number;

  constructor(queue: string, running: number) {
    super(
      ErrorCode.queueBusy,
      `Queue ${JSON.stringify(queue)} has ${running} running job(s); pass force to delete it anyway`,
    );
    this.queue = queue;
    this.running = running;
  }
}

/** What {@link PermissionError} says about the refusal. */
export interface PermissionDetails {
  /** The database error: its `code` is the SQLSTATE, its message names the object refused. */
  cause: unknown;
  /** The role that was refused (`current_user`), when it could be found. */
  role: string | undefined;
  /** What was refused: a statement (`claim_jobs`), or `migrate`, `grant`, `schema version check`. */
  operation: string;
  /** The privilege sets of `grant()` that allow the operation; empty when only the owner may. */
  grants: readonly GrantSet[];
}

/**
 * The database role lacks a privilege the operation needs (SQLSTATE `42501`): a role that was
 * not granted what producing, consuming or administering needs (see `grant()` and
 * `pgpulse grant`), or `migrate()` run by a role that may not create the schema's objects.
 * Retrying cannot help; the message names the role and the grant that would.
 *
 * @example
 * ```ts
 * try { await queue.send('emails', payload); }
 * catch (e) { if (e instanceof PermissionError) console.error(e.role, e.grants, e.sqlState); }
 * ```
 */
export class PermissionError extends PgPulseError {
  /**
   * The SQLSTATE of the refusal: `42501` (insufficient_privilege), or `01007`
   * (privilege_not_granted) when `grant()` ran as a role that holds privileges without being
   * allowed to pass them on.
   */
  readonly sqlState: string;
  /** The role that was refused, when it could be found. */
  readonly role: string | undefined;
  /** What was refused (see {@link PermissionDetails.operation}). */
  readonly operation: string;
  /** The `grant()` privilege sets that would allow it; empty when only the schema owner may. */
  readonly grants: readonly GrantSet[];

  constructor(message: string, details: PermissionDetails) {
    super(ErrorCode.permission, message, { cause: details.cause });
    const state = (details.cause as { code?: unknown } | null)?.code;
    this.sqlState = typeof state === 'string' ? state : '42501';
    this.role = details.role;
    this.operation = details.operation;
    this.grants = Object.freeze([...details.grants]);
  }
}

/**
 * The database could not be reached, or the connection dropped while a statement ran: a server
 * restart, a failover, a network cut, `pg_terminate_backend`. Transient: trying again later can
 * succeed. pgpulse retries what is safe to retry (claims, settlements, heartbeats, maintenance)
 * by itself; a `send` that fails this way may or may not have been written (use an
 * `idempotencyKey` to retry it safely). `cause` holds the underlying error.
 */
export class ConnectionError extends PgPulseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.connection, message, options);
  }
}

/**
 * Whether `error` is a pgpulse error, optionally with the given code.
 *
 * @example
 * ```ts
 * try {
 *   await queue.complete(job, result);
 * } catch (e) {
 *   if (!isPgPulseError(e, ErrorCode.leaseLost)) throw e; // else: someone else owns the job now
 * }
 * ```
 */
export function isPgPulseError(error: unknown, code?: ErrorCode): error is PgPulseError {
  return error instanceof PgPulseError && (code === undefined || error.code === code);
}
