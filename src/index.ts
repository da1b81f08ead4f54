// pgpulse: a PostgreSQL-backed job queue. This is the only public entry point.

// Inspecting and maintaining
export type { CancelResult } from './admin/jobs.js';
export type { Logger, QueueOptions, ResolvedQueueOptions } from './config.js';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_SCHEMA,
} from './config.js';
// Consuming and settling
export type { ClaimOptions } from './consume/claim.js';
export type { HeartbeatOutcome } from './consume/lease.js';
export type { MigrateOptions, MigrateResult } from './db/migrate.js';
// Schema
export { migrate } from './db/migrate.js';
// Errors
export {
  ConfigurationError,
  ErrorCode,
  InvalidStateError,
  isPgPulseError,
  JobCancelledError,
  JobNotFoundError,
  LeaseLostError,
  NonRetryableError,
  PgPulseError,
  QueueClosedError,
  SchemaVersionError,
  ValidationError,
} from './errors.js';
export type { PruneResult, RetentionOptions } from './maintain/retention.js';
export { Retention } from './maintain/retention.js';
export type { ReclaimedJob, SweeperOptions } from './maintain/sweeper.js';
export { Sweeper } from './maintain/sweeper.js';
// Producing
export type { JobSpec, SendOptions } from './produce/job-spec.js';
// The queue
export { MAX_BATCH_SIZE, Queue } from './queue.js';
export type { ResolvedBackoff } from './settle/backoff.js';
export { backoffDelayMs, DEFAULT_BACKOFF } from './settle/backoff.js';
export type { SettleOutcome } from './settle/outcome.js';
export type { Completion, FailOutcome, Failure, Release } from './settle/settler.js';
export type {
  BackoffPolicy,
  ClaimedJob,
  ClientOption,
  FailingJob,
  FinishedState,
  Job,
  JobErrorRecord,
  JobState,
  LeasedJob,
  Queryable,
  QueueStats,
  SendResult,
} from './types.js';
// Jobs
export { FINISHED_STATES, JOB_STATES } from './types.js';
