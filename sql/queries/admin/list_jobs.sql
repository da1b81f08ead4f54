-- Lists the jobs of one queue, newest first, optionally only some states and one tenant, for
-- operators (`pgpulse job list`, `pgpulse dlq list`), from the jobs table and, for completed and
-- cancelled jobs, jobs_done. Archived jobs are not listed.
-- $1 queue: text
-- $2 states: text[], or NULL for every state
-- $3 tenant: text, or NULL for every tenant
-- $4 limit: integer
SELECT * FROM (
  (SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, schedule, tick_at, flow_id, false AS archived
   FROM {{schema}}.jobs
   WHERE queue = $1 AND ($2::text[] IS NULL OR state = ANY ($2::text[]))
     AND ($3::text IS NULL OR tenant = $3)
   ORDER BY created_at DESC, id DESC
   LIMIT $4)
  UNION ALL
  (SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, schedule, tick_at, flow_id, false AS archived
   FROM {{schema}}.jobs_done
   WHERE queue = $1
     AND ($2::text[] IS NULL OR $2::text[] && ARRAY['completed', 'cancelled'])
     AND ($2::text[] IS NULL OR state = ANY ($2::text[]))
     AND ($3::text IS NULL OR tenant = $3)
   ORDER BY finished_at DESC
   LIMIT $4)
) AS listed
ORDER BY created_at DESC, id DESC
LIMIT $4
