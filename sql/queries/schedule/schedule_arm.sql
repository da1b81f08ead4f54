-- Makes $2 the schedule's waiting tick and inserts its job (schedule_enqueue(): due at the tick,
-- announced by the insert trigger); with $2 NULL the schedule has no tick waiting (paused, or
-- ended). Also sets whether the schedule is paused. Guarded like schedule_upsert.sql: only while
-- next_tick_at is still what the caller read ($6); no row comes back otherwise.
-- $1 name: text
-- $2 next_tick_at: timestamptz, or NULL
-- $3 job_id: uuid, the waiting job's id (unused when $2 is NULL)
-- $4 default_max_attempts: integer, the client's default
-- $5 paused: boolean
-- $6 read_next_tick_at: timestamptz, or NULL
UPDATE {{schema}}.schedules
SET next_tick_at = $2,
    runs = runs + CASE WHEN $2::timestamptz IS NULL THEN 0 ELSE
      {{schema}}.schedule_enqueue($1, ARRAY[$2::timestamptz], ARRAY[$3::uuid], $4) END,
    paused = $5,
    updated_at = now()
WHERE name = $1 AND next_tick_at IS NOT DISTINCT FROM $6::timestamptz
RETURNING next_tick_at, runs
