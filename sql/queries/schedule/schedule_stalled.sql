-- The schedules of a queue that stalled: their waiting tick's job is gone (purged, deleted) or
-- finished without moving the schedule on (cancelled by hand, or claimed by a release from before
-- schedules), so no claim will ever move them on. A consumer repairs each as the claim of that
-- tick would have (schedule_advance()). Only ticks due more than $2 ms ago on the real clock (a
-- test clock's offset taken off): a tick's job is moved on by its claimer before its handler
-- runs, so it cannot have finished unmoved sooner.
-- The waiting job is looked for in the jobs table, then in jobs_done (a completed or cancelled
-- job moved there: migration 0013).
-- $1 queue: text
-- $2 grace_ms: integer
-- $3 limit: integer
SELECT s.name, s.next_tick_at, w.id AS job_id
FROM {{schema}}.schedules AS s
LEFT JOIN LATERAL (
  SELECT j.id, j.state FROM {{schema}}.jobs AS j
  WHERE j.schedule = s.name AND j.tick_at = s.next_tick_at
  UNION ALL
  SELECT d.id, d.state FROM {{schema}}.jobs_done AS d
  WHERE d.schedule = s.name AND d.tick_at = s.next_tick_at
  LIMIT 1
) AS w ON true
WHERE s.queue = $1 AND NOT s.paused
  AND s.next_tick_at - s.clock_offset_ms * interval '1 millisecond'
      < now() - $2 * interval '1 millisecond'
  AND (w.id IS NULL OR w.state IN ('completed', 'dead', 'cancelled'))
ORDER BY s.next_tick_at
LIMIT $3
