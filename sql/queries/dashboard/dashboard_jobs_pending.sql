-- A page of a queue's pending jobs in claim order (priority, then run_at, then id), after the
-- cursor ($7, $8, $9), read along the claim index: a page costs its own rows, however deep.
-- $1 queue: text
-- $2 name: text, or NULL for every job type
-- $3 tenant (group): text, or NULL for every one
-- $4 from: timestamptz, the earliest of the order's time column shown (-infinity: any)
-- $5 to: timestamptz, the latest shown (infinity: any)
-- $6 limit: integer
-- $7 priority: of the last row of the previous page (the first page passes the lowest)
-- $8 run_at: of that row
-- $9 id: of that row
SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
       started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id, run_at::text AS cursor_at
FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'pending' AND (priority, run_at, id) > ($7::integer, $8::timestamptz, $9::uuid)
  AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR tenant = $3)
  AND run_at >= $4 AND run_at <= $5
ORDER BY priority, run_at, id
LIMIT $6
