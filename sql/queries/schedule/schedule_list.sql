-- Lists schedules by name, optionally of one queue, each with the state of its last job.
-- $1 queue: text, or NULL for every queue
SELECT s.*, extract(epoch FROM now()) * 1000 + s.clock_offset_ms AS db_now_ms,
       j.state AS last_job_state, j.started_at AS last_job_started_at,
       j.finished_at AS last_job_finished_at
FROM {{schema}}.schedules AS s
LEFT JOIN LATERAL (
  SELECT state, started_at, finished_at FROM {{schema}}.jobs WHERE id = s.last_job_id
  UNION ALL
  SELECT state, started_at, finished_at FROM {{schema}}.jobs_done WHERE id = s.last_job_id
  UNION ALL
  SELECT state, started_at, finished_at FROM {{schema}}.jobs_archive WHERE id = s.last_job_id
  LIMIT 1
) AS j ON true
WHERE $1::text IS NULL OR s.queue = $1
ORDER BY s.name
