-- A page of a queue's completed jobs, newest first, before the cursor ($7, $8): from jobs_done
-- along jobs_done_queue_idx, and the few the jobs table keeps (a job retaining its key).
-- $1 queue: text
-- $2 name: text, or NULL for every job type
-- $3 tenant (group): text, or NULL for every one
-- $4 from: timestamptz, the earliest of the order's time column shown (-infinity: any)
-- $5 to: timestamptz, the latest shown (infinity: any)
-- $6 limit: integer
-- $7 finished_at: of the last row of the previous page (the first page passes the highest)
-- $8 id: of that row
SELECT * FROM (
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id, finished_at::text AS cursor_at
   FROM {{schema}}.jobs_done
   WHERE queue = $1 AND state = 'completed' AND (finished_at, id) < ($7::timestamptz, $8::uuid)
     AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR tenant = $3)
     AND finished_at >= $4 AND finished_at <= $5
   ORDER BY finished_at DESC, id DESC
   LIMIT $6)
  UNION ALL
  (SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id, finished_at::text AS cursor_at
   FROM {{schema}}.jobs
   WHERE queue = $1 AND state = 'completed'
     AND (finished_at, id) < ($7::timestamptz, $8::uuid)
     AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR tenant = $3)
     AND finished_at >= $4 AND finished_at <= $5
   ORDER BY finished_at DESC, id DESC
   LIMIT $6)
) AS page
ORDER BY finished_at DESC, id DESC
LIMIT $6
