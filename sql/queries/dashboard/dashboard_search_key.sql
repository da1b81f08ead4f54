-- A queue's jobs with this idempotency key, newest first, each part along an index: unfinished
-- ones holding the key (jobs_idempotency_idx), jobs retaining it (jobs_retained_key_idx), and
-- among the queue's newest 50,000 dead ones and newest 50,000 finished ones (no index holds
-- those keys: a bounded read, not a scan).
-- $1 key: text
-- $2 queue: text
SELECT * FROM (
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM {{schema}}.jobs
   WHERE queue = $2 AND idempotency_key = $1 AND idempotency_key IS NOT NULL
     AND NOT key_retained AND state IN ('pending', 'running'))
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM {{schema}}.jobs
   WHERE queue = $2 AND idempotency_key = $1 AND idempotency_key IS NOT NULL AND key_retained)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs WHERE queue = $2 AND state = 'dead'
         ORDER BY finished_at DESC, id DESC LIMIT 50000) AS dead
   WHERE idempotency_key = $1 AND NOT key_retained
   LIMIT 50)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs_done WHERE queue = $2
         ORDER BY finished_at DESC LIMIT 50000) AS recent
   WHERE idempotency_key = $1
   LIMIT 50)
) AS found
ORDER BY created_at DESC
LIMIT 50
