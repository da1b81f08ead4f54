import { markMayRelease } from '../kernel/release-marks.js';
import { markUnskippable } from '../kernel/tick-policy.js';
import type {
  BackoffPolicy,
  ClaimedJob,
  Job,
  JobErrorRecord,
  JobLogEntry,
  JobState,
} from '../kernel/types.js';

/** A row of claim_jobs.sql. */
export interface ClaimRow {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  priority: number;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  backoff: BackoffPolicy | null;
  lease_token: string;
  lease_expires_at: Date;
  worker_id: string;
  idempotency_key: string | null;
  tenant: string | null;
  last_error: JobErrorRecord | null;
  created_at: Date;
  started_at: Date;
  trace_context: Record<string, string> | null;
  schedule: string | null;
  tick_at: Date | null;
  /** For a tick: whether its schedule's policies can skip a tick (claim_jobs.sql only). */
  schedule_may_skip?: boolean | null;
  /** Whether the job's completion may release children (claim_jobs.sql only). */
  may_release?: boolean | null;
}

/** A row of get_job.sql: every column. */
export interface JobRow
  extends Omit<
    ClaimRow,
    | 'lease_token'
    | 'lease_expires_at'
    | 'worker_id'
    | 'started_at'
    | 'schedule_may_skip'
    | 'may_release'
  > {
  state: JobState;
  lease_token: string | null;
  lease_expires_at: Date | null;
  worker_id: string | null;
  heartbeat_at: Date | null;
  result: unknown;
  errors: JobErrorRecord[];
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  archived: boolean;
  flow_id: string | null;
  progress: unknown;
  logs: JobLogEntry[] | null;
}

/** The fields a claimed job and a stored job share. */
function commonFields<P>(row: ClaimRow | JobRow) {
  return {
    id: row.id,
    queue: row.queue,
    name: row.name,
    payload: row.payload as P,
    priority: row.priority,
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoff: row.backoff,
    idempotencyKey: row.idempotency_key,
    // A fair queue files jobs sent without a tenant under '' (migration 0005): still none.
    tenant: row.tenant === '' ? null : row.tenant,
    lastError: row.last_error,
    createdAt: row.created_at,
    traceContext: row.trace_context,
    schedule: row.schedule ?? null,
    tickAt: row.tick_at ?? null,
  };
}

export function toClaimedJob<P>(row: ClaimRow): ClaimedJob<P> {
  const job: ClaimedJob<P> = {
    ...commonFields<P>(row),
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at,
    workerId: row.worker_id,
    startedAt: row.started_at,
  };
  if (row.schedule_may_skip === false) markUnskippable(job as ClaimedJob);
  if (row.may_release === true) markMayRelease(job as ClaimedJob);
  return job;
}

export function toJob<P, R>(row: JobRow): Job<P, R> {
  return {
    ...commonFields<P>(row),
    state: row.state,
    leaseToken: row.lease_token,
    leaseExpiresAt: row.lease_expires_at,
    workerId: row.worker_id,
    heartbeatAt: row.heartbeat_at,
    result: row.result as R | null,
    errors: row.errors,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    archived: row.archived,
    flowId: row.flow_id ?? null,
    progress: row.progress ?? null,
    logs: row.logs ?? [],
  };
}
