-- When the next delayed or retried job of a queue is due, relative to the database's clock, so a
-- consumer can arm a timer for it whatever the skew between its clock and the database's. Only
-- jobs due after $2 count: the moment the consumer's last claim looked. A job that became due
-- since then comes back with a due time in the past, to be claimed at once; one due before it
-- was visible to that claim, so reporting it again could only loop. Also returns the database's
-- clock, to place the absolute run_at of notifications on the local one.
-- A loose index scan over jobs_claim_idx: the distinct priorities of the queue's pending jobs
-- (one probe each), then the earliest future run_at within each: O(priorities × log n).
-- $1 queue: text
-- $2 after_ms: double precision, epoch ms (database clock), or NULL for now()
-- $3 tenant: text, or NULL for any tenant
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
SELECT extract(epoch FROM min(next.run_at) - now()) * 1000 AS due_in_ms,
       extract(epoch FROM now()) * 1000 AS db_now_ms
FROM priorities AS p
LEFT JOIN LATERAL (
  SELECT j.run_at FROM {{schema}}.jobs AS j
  WHERE j.queue = $1 AND j.state = 'pending' AND j.priority = p.priority
    AND j.run_at > coalesce(to_timestamp($2::double precision / 1000), now())
    AND ($3::text IS NULL OR j.tenant = $3)
  ORDER BY j.run_at LIMIT 1
) AS next ON true
