-- Counts jobs per state for one queue or every queue, with how many pending jobs are scheduled
-- for later and how long the oldest due pending job has waited since its run_at. Unfinished and
-- dead jobs come from the jobs table; completed and cancelled ones from jobs_done too.
-- $1 queue: text, or NULL for every queue
WITH hot AS (
  SELECT queue,
         count(*) FILTER (WHERE state = 'waiting') AS waiting,
         count(*) FILTER (WHERE state = 'pending') AS pending,
         count(*) FILTER (WHERE state = 'pending' AND run_at > now()) AS scheduled,
         count(*) FILTER (WHERE state = 'running') AS running,
         count(*) FILTER (WHERE state = 'completed') AS completed,
         count(*) FILTER (WHERE state = 'dead') AS dead,
         count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
         min(run_at) FILTER (WHERE state = 'pending' AND run_at <= now()) AS oldest_due
  FROM {{schema}}.jobs
  WHERE $1::text IS NULL OR queue = $1
  GROUP BY queue
), done AS (
  SELECT queue, count(*) FILTER (WHERE state = 'completed') AS completed,
         count(*) FILTER (WHERE state = 'cancelled') AS cancelled
  FROM {{schema}}.jobs_done
  WHERE $1::text IS NULL OR queue = $1
  GROUP BY queue
)
SELECT coalesce(hot.queue, done.queue) AS queue,
       coalesce(hot.waiting, 0) AS waiting,
       coalesce(hot.pending, 0) AS pending,
       coalesce(hot.scheduled, 0) AS scheduled,
       coalesce(hot.running, 0) AS running,
       coalesce(hot.completed, 0) + coalesce(done.completed, 0) AS completed,
       coalesce(hot.dead, 0) AS dead,
       coalesce(hot.cancelled, 0) + coalesce(done.cancelled, 0) AS cancelled,
       extract(epoch FROM now() - hot.oldest_due) * 1000 AS oldest_pending_age_ms
FROM hot FULL JOIN done ON done.queue = hot.queue
ORDER BY 1
