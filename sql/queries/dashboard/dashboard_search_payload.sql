-- A queue's jobs whose payload contains $2 (jsonb containment, e.g. {"user":{"id":42}}), newest
-- first, among bounded reads along the queue's indexes: its first 50,000 pending jobs in claim
-- order, its running and waiting ones, its newest 50,000 dead ones and newest 50,000 finished
-- ones. Not a scan of the whole history.
-- $1 queue: text
-- $2 fragment: jsonb
SELECT * FROM (
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND state = 'pending'
         ORDER BY priority, run_at, id LIMIT 50000) AS pending
   WHERE payload @> $2::jsonb
   LIMIT 50)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM {{schema}}.jobs
   WHERE queue = $1 AND state IN ('running', 'waiting') AND payload @> $2::jsonb
   LIMIT 50)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND state = 'dead'
         ORDER BY finished_at DESC, id DESC LIMIT 50000) AS dead
   WHERE payload @> $2::jsonb
   LIMIT 50)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
          started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs_done WHERE queue = $1
         ORDER BY finished_at DESC LIMIT 50000) AS recent
   WHERE payload @> $2::jsonb
   LIMIT 50)
) AS found
ORDER BY created_at DESC
LIMIT 50
