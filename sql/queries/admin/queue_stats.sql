-- Counts jobs per state for one queue or every queue, with how many pending jobs are scheduled
-- for later and how long the oldest due pending job has waited since its run_at.
-- $1 queue: text, or NULL for every queue
SELECT queue,
       count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'pending' AND run_at > now()) AS scheduled,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'completed') AS completed,
       count(*) FILTER (WHERE state = 'dead') AS dead,
       count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
       extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'pending' AND run_at <= now()))
         * 1000 AS oldest_pending_age_ms
FROM {{schema}}.jobs
WHERE $1::text IS NULL OR queue = $1
GROUP BY queue
ORDER BY queue
