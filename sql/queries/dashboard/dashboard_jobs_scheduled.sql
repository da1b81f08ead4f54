-- A page of a queue's pending jobs not yet due, soonest first, after the cursor ($7, $8): a
-- loose index scan of jobs_claim_idx finds the queue's priorities (one probe each), then each
-- priority's next jobs after the cursor are read in run_at order, and the pages merged.
-- $1 queue: text
-- $2 name: text, or NULL for every job type
-- $3 tenant (group): text, or NULL for every one
-- $4 from: timestamptz, the earliest run_at shown (-infinity: any)
-- $5 to: timestamptz, the latest shown (infinity: any)
-- $6 limit: integer
-- $7 run_at: of the last row of the previous page (the first page passes the lowest)
-- $8 id: of that row
WITH RECURSIVE priorities AS (
  (SELECT priority FROM {{schema}}.jobs
   WHERE queue = $1 AND state = 'pending'
   ORDER BY priority LIMIT 1)
  UNION ALL
  SELECT (SELECT j.priority FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' AND j.priority > p.priority
          ORDER BY j.priority LIMIT 1)
  FROM priorities AS p
  WHERE p.priority IS NOT NULL
)
SELECT page.* FROM priorities AS p
CROSS JOIN LATERAL (
  SELECT id, queue, name, state, tenant, priority, attempts, max_attempts, run_at, created_at,
         started_at, finished_at, last_error ->> 'message' AS error, progress, flow_id,
         run_at::text AS cursor_at
  FROM {{schema}}.jobs
  WHERE queue = $1 AND state = 'pending' AND priority = p.priority
    AND run_at > greatest(now(), $4::timestamptz) AND run_at <= $5
    AND (run_at, id) > ($7::timestamptz, $8::uuid)
    AND ($2::text IS NULL OR name = $2) AND ($3::text IS NULL OR tenant = $3)
  ORDER BY run_at, id
  LIMIT $6
) AS page
WHERE p.priority IS NOT NULL
ORDER BY page.run_at, page.id
LIMIT $6
