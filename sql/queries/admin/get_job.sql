-- Reads one job by id wherever it is: the jobs table (unfinished, dead, or retaining its key),
-- jobs_done (completed or cancelled), or, once retention archived it, the archive.
-- $1 id: uuid
SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, schedule, tick_at, flow_id, false AS archived
FROM {{schema}}.jobs WHERE id = $1
UNION ALL
SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, schedule, tick_at, flow_id, false AS archived
FROM {{schema}}.jobs_done WHERE id = $1
UNION ALL
SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, schedule, tick_at, NULL::uuid AS flow_id, true AS archived
FROM {{schema}}.jobs_archive WHERE id = $1
LIMIT 1
