-- A page of a queue's pending jobs not yet due, soonest first, after the cursor ($7, $8),
-- read along jobs_next_run_at_idx.
-- $1 queue: text
-- $2 name: text, or NULL for every job type
-- $3 tenant (group): text, or NULL for every one
-- $4 from: timestamptz, the earliest of the order's time column shown (-infinity: any)
-- $5 to: timestamptz, the latest shown (infinity: any)
-- $6 limit: integer
-- $7 run_at: of the last row of the previous page (the first page passes the lowest)
-- $8 id: of that row
SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id, run_at::text AS cursor_at
FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'pending' AND run_at > now()
  AND (run_at, id) > ($7::timestamptz, $8::uuid)
  AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR tenant = $3)
  AND run_at >= $4 AND run_at <= $5
ORDER BY run_at, id
LIMIT $6
