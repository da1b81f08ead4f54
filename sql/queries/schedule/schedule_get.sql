-- Reads one schedule, with the database's clock (epoch ms) from which its next tick is computed
-- (plus how far a test clock moved the schedule: migration 0019),
-- the state of its last job, and the state of its waiting tick's job (NULL when that job is
-- gone: purged, or deleted by hand). Always one row: without a schedule of that name, only the
-- clock is set. The clock is read as this statement runs, not when its transaction began: a
-- change that waited for the schedule's lock must not compute a tick that a claim committed
-- meanwhile has already moved past.
-- $1 name: text
SELECT s.*, extract(epoch FROM clock.now) * 1000 + coalesce(s.clock_offset_ms, 0) AS db_now_ms,
       j.state AS last_job_state, j.started_at AS last_job_started_at,
       j.finished_at AS last_job_finished_at,
       (SELECT w.state FROM {{schema}}.jobs AS w
        WHERE w.schedule = s.name AND w.tick_at = s.next_tick_at
        UNION ALL
        SELECT w.state FROM {{schema}}.jobs_done AS w
        WHERE w.schedule = s.name AND w.tick_at = s.next_tick_at
        LIMIT 1) AS waiting_job_state
FROM (SELECT clock_timestamp() AS now) AS clock
LEFT JOIN {{schema}}.schedules AS s ON s.name = $1
LEFT JOIN LATERAL (
  SELECT state, started_at, finished_at FROM {{schema}}.jobs WHERE id = s.last_job_id
  UNION ALL
  SELECT state, started_at, finished_at FROM {{schema}}.jobs_done WHERE id = s.last_job_id
  UNION ALL
  SELECT state, started_at, finished_at FROM {{schema}}.jobs_archive WHERE id = s.last_job_id
  LIMIT 1
) AS j ON true
