-- A page of the dead jobs of every queue, newest first, before the cursor ($2, $3), read
-- along jobs_finished_idx (the jobs table's finished rows are mostly dead ones).
-- $1 limit: integer
-- $2 finished_at: of the last row of the previous page (the first page passes the highest)
-- $3 id: of that row
SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id, finished_at::text AS cursor_at
FROM {{schema}}.jobs
WHERE state = 'dead'
  AND (finished_at, id) < ($2::timestamptz, $3::uuid)
ORDER BY finished_at DESC, id DESC
LIMIT $1
