-- Jobs with this idempotency key, newest first: unfinished and dead ones from the jobs table
-- (along its key indexes when $2 names the queue), and finished ones among each queue's newest
-- 50,000 in jobs_done (no index holds their keys: the search is bounded, not a scan).
-- $1 key: text
-- $2 queue: text, or NULL for every queue
SELECT * FROM (
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM {{schema}}.jobs
   WHERE idempotency_key = $1 AND ($2::text IS NULL OR queue = $2)
   LIMIT 50)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id
   FROM (SELECT * FROM {{schema}}.jobs_done
         WHERE $2::text IS NOT NULL AND queue = $2
         ORDER BY finished_at DESC LIMIT 50000) AS recent
   WHERE idempotency_key = $1
   LIMIT 50)
) AS found
ORDER BY created_at DESC
LIMIT 50
