-- Jobs of a queue whose payload contains $2 (jsonb containment, e.g. {"user":{"id":42}}),
-- newest first, among the queue's unfinished and dead jobs and its newest 50,000 finished ones:
-- bounded reads, not a scan of the whole history.
-- $1 queue: text
-- $2 fragment: jsonb
SELECT * FROM (
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs WHERE queue = $1 ORDER BY id DESC LIMIT 50000) AS hot
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
