-- Jobs per state of one queue for the dashboard, each count exact up to $2 and capped there
-- (the caller replaces a capped one by the planner's estimate), so a queue with a million jobs
-- costs a bounded walk per state, not a scan. Also the oldest due job's wait, its pause and its
-- live workers. Run unnamed (planned for the queue given: a big queue's count walks the table,
-- a small one's its index; a generic plan would pick one for every queue).
-- $1 queue: text
-- $2 cap: integer
SELECT $1::text AS queue,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'waiting' LIMIT $2) AS c) AS waiting,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' LIMIT $2) AS c) AS pending,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' AND j.run_at > now() LIMIT $2) AS c)
         AS scheduled,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'running' LIMIT $2) AS c) AS running,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'dead' LIMIT $2) AS c) AS dead,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs_done AS j
          WHERE j.queue = $1 AND j.state = 'completed' LIMIT $2) AS c)
       + (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'completed' AND j.finished_at IS NOT NULL
          LIMIT $2) AS c) AS completed,
       (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs_done AS j
          WHERE j.queue = $1 AND j.state = 'cancelled' LIMIT $2) AS c)
       + (SELECT count(*) FROM (SELECT 1 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'cancelled' AND j.finished_at IS NOT NULL
          LIMIT $2) AS c) AS cancelled,
       (SELECT extract(epoch FROM now() - min(j.run_at)) * 1000 FROM {{schema}}.jobs AS j
          WHERE j.queue = $1 AND j.state = 'pending' AND j.run_at <= now())
         AS oldest_pending_age_ms,
       coalesce((SELECT s.paused FROM {{schema}}.queues AS s WHERE s.name = $1), false)
         AS paused,
       (SELECT count(*) FROM {{schema}}.workers AS w
          WHERE $1 = ANY (w.queues) AND w.expires_at > now()) AS workers
