-- Jobs per state of one queue for the dashboard, each count exact up to $2 and capped there
-- (the caller replaces a capped one by the planner's estimate), so a queue with a million jobs
-- costs a bounded walk per state, not a scan (pending jobs not yet due, and the oldest due one,
-- priority by priority along the claim index). Also the oldest due job's wait, its pause and its
-- live workers. The caller puts the values in as literals, so that each queue gets a plan of its
-- own (a big queue's count walks its table, a small one's an index).
-- $1 queue: text
-- $2 cap: integer
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
SELECT $1::text AS queue,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'waiting' LIMIT $2) AS c) AS waiting,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' LIMIT $2) AS c) AS pending,
       (SELECT count(*) FROM (SELECT 1 FROM priorities AS p CROSS JOIN LATERAL (
          SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' AND j.priority = p.priority
            AND j.run_at > now() LIMIT $2) AS s LIMIT $2) AS c) AS scheduled,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'running' LIMIT $2) AS c) AS running,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'dead' LIMIT $2) AS c) AS dead,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs_done AS j
          WHERE j.queue = $1 AND j.state = 'completed' LIMIT $2) AS c)
       + (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'completed' LIMIT $2) AS c) AS completed,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs_done AS j
          WHERE j.queue = $1 AND j.state = 'cancelled' LIMIT $2) AS c)
       + (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'cancelled' LIMIT $2) AS c) AS cancelled,
       (SELECT extract(epoch FROM now() - min(f.run_at)) * 1000 FROM priorities AS p
          CROSS JOIN LATERAL (
            SELECT j.run_at FROM {{schema}}.jobs AS j
            WHERE j.queue = $1 AND j.state = 'pending' AND j.priority = p.priority
              AND j.run_at <= now()
            ORDER BY j.run_at LIMIT 1) AS f) AS oldest_pending_age_ms,
       coalesce((SELECT s.paused FROM {{schema}}.queues AS s WHERE s.name = $1), false)
         AS paused,
       (SELECT count(*) FROM {{schema}}.workers AS w
          WHERE $1 = ANY (w.queues) AND w.expires_at > now()) AS workers
