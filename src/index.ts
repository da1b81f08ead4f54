// pgpulse: a PostgreSQL-backed job queue. This is the only public entry point.

// The queue
export { Queue } from './queue.js';
export { MAX_BATCH_SIZE } from './produce/job-spec.js';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_POOLER,
  DEFAULT_SCHEMA,
} from './config/options.js';
export type { PoolerMode, QueueOptions, ResolvedQueueOptions } from './config/options.js';
export { pinoLogger } from './kernel/logger.js';
export type { FieldsFirstLogger, LogFields, Logger, LogScope } from './kernel/logger.js';
export { DEFAULT_CONFIG_FILE, loadQueueOptions } from './config/sources.js';
export type { ConfigSources } from './config/sources.js';

// Shutdown
export { closeOnSignals } from './kernel/signals.js';
export type { Closable, CloseOnSignalsOptions, SignalHandlers } from './kernel/signals.js';

// Schema
export { migrate, planMigrations, uninstall } from './schema/migrate.js';
export type { MigrateOptions, MigrateResult, MigrationPlan } from './schema/migrate.js';

// Least privilege
export { grant } from './schema/grant.js';
export type { GrantResult } from './schema/grant.js';
export { grantStatements } from './schema/grants.js';
export type { GrantOptions } from './schema/grants.js';
export { GRANT_SETS } from './kernel/types.js';
export type { GrantSet } from './kernel/types.js';

// Producing
export { defineJob, isJobDefinition } from './produce/define-job.js';
export type {
  AnyJobDefinition,
  DeclaredSchedule,
  InputOf,
  JobDefinition,
  JobDefinitionOptions,
} from './produce/define-job.js';
export type {
  JobOptions,
  JobSpec,
  OnDuplicate,
  SendBatchOptions,
  SendOptions,
} from './produce/job-spec.js';

// Flows: jobs that depend on jobs
export { MAX_FLOW_EDGES, MAX_FLOW_NODES } from './produce/flow-spec.js';
export type { FlowNode } from './produce/flow-spec.js';
export { ON_PARENT_FAILURE } from './kernel/types.js';
export type { Dependency, DependencyOptions, OnParentFailure } from './kernel/types.js';
export type { BatchJob, BatchResult, FlowOptions, FlowResult } from './produce/flows.js';
export type { FlowAdmin, FlowEdge, FlowInfo, FlowJob } from './admin/flows.js';
export type { ParentCounts, ParentResult } from './execute/parents.js';

// Streaming consumers
export type { Worker } from './consume/worker.js';
export type {
  ConsumerError,
  WorkerCompletedEvent,
  WorkerDeadEvent,
  WorkerEvent,
  WorkerEventOf,
  WorkerEventType,
  WorkerFailedEvent,
  WorkerLeaseLostEvent,
  WorkerRetriedEvent,
} from './consume/worker-events.js';
export type { JobHandler } from './execute/executor.js';
export type { JobContext } from './execute/job-context.js';
export type { ReceivedJob } from './consume/observe.js';
export { JOB_EVENT_TYPES } from './observe/job-events.js';
export type {
  JobCancelledEvent,
  JobCompletedEvent,
  JobDeadEvent,
  JobEnqueuedEvent,
  JobEvent,
  JobEventBase,
  JobEventType,
  JobFailedEvent,
  JobProgressEvent,
  JobReleasedEvent,
  JobReadyEvent,
  JobRetriedEvent,
  JobScheduleEvent,
  JobStartedEvent,
  JobTickEvent,
  ScheduleChange,
} from './observe/job-events.js';
export type { BatchHandler, BatchOutcome } from './execute/batch.js';
export type {
  BatchWorkOptions,
  ConsumeOptions,
  ObserveOptions,
  WorkOptions,
} from './consume/options.js';

// Claiming and settling by hand
export type { ClaimOptions } from './claim/claim.js';
export type { HeartbeatOutcome } from './lease/renew.js';
export type { SettleOutcome } from './settle/outcome.js';
export type { Completion, FailOutcome, Failure, Release } from './settle/settler.js';
export { DEFAULT_BACKOFF } from './config/backoff.js';
export type { ResolvedBackoff } from './config/backoff.js';
export { backoffDelayMs } from './settle/backoff.js';

// Queue control
export type { QueueAdmin, QueueSummary } from './admin/queues.js';
export type { GroupAdmin, GroupInfo } from './admin/groups.js';
export type { GroupDefaults, GroupOverride } from './admin/group-settings.js';
export type { ExplainFinding, ExplainReason, JobExplanation } from './admin/explain.js';
export type { WorkerInfo, WorkerRegistry } from './admin/workers.js';
export type { QueueInfo, QueueRetention, QueueSettings } from './admin/queue-settings.js';

// Recurring schedules
export type { Schedules, SetScheduleResult } from './schedule/schedules.js';
export type { DefinedScheduleOptions, ScheduleOptions } from './schedule/schedule-spec.js';
export type { ScheduleInfo, ScheduleState } from './schedule/schedule-row.js';
export { MIN_EVERY_MS } from './config/schedule-timing.js';
export type {
  MisfirePolicy,
  OverlapPolicy,
  ScheduleJobOptions,
  ScheduleTiming,
} from './kernel/schedule-types.js';

// Observability
export type { MetricsOptions, MetricsServer, QueueMetrics } from './observe/metrics.js';

// Inspecting and maintaining
export type { CancelResult, ListJobsOptions } from './admin/jobs.js';
export type { ReclaimedJob, Sweeper, SweeperOptions } from './maintain/sweeper.js';
export type { PruneResult, Retention, RetentionOptions } from './maintain/retention.js';

// Jobs
export { FINISHED_STATES, JOB_STATES } from './kernel/types.js';
export type {
  BackoffPolicy,
  ClaimedJob,
  FailingJob,
  FinishedState,
  Job,
  JobErrorRecord,
  JobLogEntry,
  JobState,
  LeasedJob,
  Queryable,
  QueueStats,
  SendResult,
  SqlExecutor,
} from './kernel/types.js';

// Errors
export type { PermissionDetails } from './kernel/errors.js';
export {
  ConfigurationError,
  ConnectionError,
  ErrorCode,
  isPgPulseError,
  PermissionError,
  PgPulseError,
  QueueBusyError,
  QueueClosedError,
  QueueNotFoundError,
  ScheduleNotFoundError,
  SchemaVersionError,
  ValidationError,
} from './kernel/errors.js';
export {
  InvalidStateError,
  JobAlreadyExistsError,
  JobCancelledError,
  JobNotFoundError,
  JobTimeoutError,
  LeaseLostError,
  NonRetryableError,
  WorkerStoppedError,
} from './kernel/job-errors.js';
