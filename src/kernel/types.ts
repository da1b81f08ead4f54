import type pg from 'pg';

/** Every state a job can be in. */
export const JOB_STATES = [
  'waiting',
  'pending',
  'running',
  'completed',
  'dead',
  'cancelled',
] as const;

/**
 * A job's state. `waiting` jobs wait for their parents (`dependsOn`, flows) and are never
 * claimed; `pending` jobs wait for their `runAt`; `running` jobs are leased to a worker;
 * `completed`, `dead` (attempts exhausted or a non-retryable error) and `cancelled` are final.
 */
export type JobState = (typeof JOB_STATES)[number];

/**
 * The privilege sets `grant()` and `pgpulse grant` give a database role: `produce` (send jobs and
 * follow them), `consume` (claim, settle, watch events, cancel, sweep) and `admin` (queue
 * settings, pause, purge, delete, redrive, retention, cancel, watch events). Each also reads jobs
 * and stats. See the guide's "Least privilege" (docs/guide/least-privilege.md).
 */
export const GRANT_SETS = ['produce', 'consume', 'admin'] as const;

/** One of {@link GRANT_SETS}. */
export type GrantSet = (typeof GRANT_SETS)[number];

/**
 * What a job does when one of its parents fails (goes `dead` or is `cancelled`): `cancel` it
 * (the default), make it `dead` with the reason in its `lastError` (code `PARENT_FAILED`), or
 * `run` it anyway once its other parents have settled.
 */
export type OnParentFailure = 'cancel' | 'dead' | 'run';

/** Every {@link OnParentFailure}. */
export const ON_PARENT_FAILURE = ['cancel', 'dead', 'run'] as const;

/**
 * A parent of a job. In `send`'s `dependsOn` a string is a job's id; in a flow's node it is
 * another node's `ref`, and `{ id }` names a job sent before. `onFailure` overrides the child's
 * `onParentFailure` for this parent.
 */
export type Dependency = string | { id?: string; ref?: string; onFailure?: OnParentFailure };

/** `send`'s options for a job with parents. */
export interface DependencyOptions {
  /**
   * The jobs this one waits for (their ids, or `{ id, onFailure }`): it is `waiting`, never
   * claimed, until every one has completed, and becomes pending in the transaction that completes
   * the last. It joins the flow of the first parent in a flow, else starts one. Not with
   * `idempotencyKey`.
   *
   * @throws ValidationError (nothing written) for an unknown or pruned parent.
   */
  dependsOn?: readonly Dependency[];
  /** What the job does when a parent goes dead or is cancelled. Default `'cancel'`. */
  onParentFailure?: OnParentFailure;
}

/** The finished states, which retention may prune. */
export const FINISHED_STATES = ['completed', 'dead', 'cancelled'] as const;

/** A finished state. */
export type FinishedState = (typeof FINISHED_STATES)[number];

/**
 * How long to wait before retrying a failed job. Jitter is the fraction of each delay that is
 * random: with `jitter: 0.2` a 10 s delay becomes anywhere from 8 s to 10 s, so jobs that failed
 * together do not all retry in the same instant.
 */
export type BackoffPolicy =
  | {
      /** Delay `baseMs * factor ** (attempt - 1)`, capped at `maxMs`. */
      type: 'exponential';
      /** First retry delay. Default 1000. */
      baseMs: number;
      /** Growth per attempt. Default 2. */
      factor?: number;
      /** Longest delay. Default 3,600,000 (one hour). */
      maxMs?: number;
      /** Random fraction of each delay, from 0 to 1. Default 0.2. */
      jitter?: number;
    }
  | {
      /** The same delay before every retry. */
      type: 'fixed';
      delayMs: number;
      /** Random fraction of each delay, from 0 to 1. Default 0. */
      jitter?: number;
    };

/** One failed attempt, as kept in a job's `lastError` and `errors` history. */
export interface JobErrorRecord {
  /** The error's class name, e.g. `TypeError`. */
  name: string;
  message: string;
  /** The error's `code` property, when it had a string one. */
  code?: string;
  /** The stack, truncated. */
  stack?: string;
  /** Whether the error allowed a retry. */
  retryable: boolean;
  /** Which attempt failed (1 for the first). */
  attempt: number;
  /** When the failure was recorded (database clock, ISO 8601). */
  at: string;
}

/** A job as stored, from {@link Queue.getJob}. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  queue: string;
  /** The job type within its queue. */
  name: string;
  payload: P;
  state: JobState;
  /** Lower runs first. */
  priority: number;
  /** When the job is (or was) due. */
  runAt: Date;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  /** The job's own backoff policy, or null for the default. */
  backoff: BackoffPolicy | null;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  /** The worker that holds or last held the job. */
  workerId: string | null;
  heartbeatAt: Date | null;
  idempotencyKey: string | null;
  tenant: string | null;
  /** What the handler returned, once completed. */
  result: R | null;
  lastError: JobErrorRecord | null;
  /** The most recent failures, oldest first. */
  errors: JobErrorRecord[];
  createdAt: Date;
  /** When the latest attempt started. */
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Whether retention moved the job to the archive table. */
  archived: boolean;
  /** The flow the job belongs to (it has parents or children), or null. */
  flowId: string | null;
  /** The latest progress its handler reported (`job.progress()`), or null. */
  progress: unknown;
  /** Messages its handlers logged (`job.log()`), oldest first; the newest 100 are kept. */
  logs: JobLogEntry[];
  /** The sender's trace context (W3C `traceparent`, `tracestate`), or null. */
  traceContext: Record<string, string> | null;
  /** The schedule that made the job, or null. */
  schedule: string | null;
  /** The schedule's tick the job is for; null for a job run by hand (`trigger`) or no schedule. */
  tickAt: Date | null;
}

/** One message a handler logged on its job. */
export interface JobLogEntry {
  message: string;
  /** Which attempt logged it. */
  attempt: number;
  /** When it was logged (database clock, ISO 8601). */
  at: string;
}

/**
 * A job returned by a claim: leased to the caller until `leaseExpiresAt`, unless renewed with a
 * heartbeat. Every call that settles or renews it presents `leaseToken`.
 */
export interface ClaimedJob<P = unknown> {
  id: string;
  queue: string;
  name: string;
  payload: P;
  priority: number;
  runAt: Date;
  /** Attempts started so far, this one included. */
  attempts: number;
  maxAttempts: number;
  backoff: BackoffPolicy | null;
  leaseToken: string;
  leaseExpiresAt: Date;
  workerId: string;
  idempotencyKey: string | null;
  tenant: string | null;
  /** The previous attempt's error, when this is a retry. */
  lastError: JobErrorRecord | null;
  createdAt: Date;
  startedAt: Date;
  /** The sender's trace context (W3C `traceparent`, `tracestate`), or null. */
  traceContext: Record<string, string> | null;
  /** The schedule that made the job, or null. */
  schedule: string | null;
  /** The schedule's tick the job is for; null for a job run by hand (`trigger`) or no schedule. */
  tickAt: Date | null;
}

/** What a lease-fenced call needs to know about a job: its id and the token of its lease. */
export type LeasedJob = Pick<ClaimedJob, 'id' | 'leaseToken'>;

/** What `fail` needs: the lease, and what decides the retry delay. */
export type FailingJob = Pick<ClaimedJob, 'id' | 'leaseToken' | 'attempts' | 'backoff'>;

/** The result of sending one job. */
export interface SendResult {
  /** The job's id: the new job's, or, for a duplicate idempotency key, the existing job's. */
  id: string;
  /** True when a job held the idempotency key and nothing was added. */
  duplicate: boolean;
  /** True when, with `onDuplicate: 'replace'`, the holder was pending and took the new payload. */
  replaced: boolean;
}

/** Counts and age of one queue, from `queue.stats()`. */
export interface QueueStats {
  queue: string;
  /** Jobs per state. */
  counts: Record<JobState, number>;
  /** Pending jobs whose `runAt` is still in the future (included in `counts.pending`). */
  scheduled: number;
  /** How long the oldest due pending job has waited since its `runAt`, or null when none is due. */
  oldestPendingAgeMs: number | null;
}

/** Anything that runs a query: a `pg.Pool`, a `pg.Client`, or a client checked out of a pool. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * What runs one SQL statement with `$1, $2...` parameters and returns its rows as objects keyed
 * by column name: a node-postgres client or pool as it is, or a small adapter over another
 * library's transaction (Kysely, Drizzle, Knex, Prisma...). pgpulse sends it the statement's
 * text and values; never a named (prepared) statement.
 *
 * @example
 * ```ts
 * // Prisma: a transaction `tx` as an executor (PostgreSQL's `$1` placeholders, as pgpulse's).
 * const executor: SqlExecutor = {
 *   query: async (text, values) => ({ rows: await tx.$queryRawUnsafe(text, ...values) }),
 * };
 * await queue.send('emails', payload, { client: executor });
 * ```
 */
export interface SqlExecutor {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}
