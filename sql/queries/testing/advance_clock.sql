-- The test clock (pgpulse/testing, TestClock.advance): moves every pending job $1 ms earlier,
-- as if that much time had passed for it, so that delayed jobs, retries waiting out their backoff
-- and snoozed jobs fall due without waiting. Their order among themselves is kept. The schedules
-- of those queues move $1 ms ahead (migration 0019): their waiting tick's job is among the jobs
-- moved, and the ticks their claims compute next are due as many ms early. Each queue whose jobs
-- moved is announced with its new earliest run_at, so that idle workers in any process claim
-- what is due now and re-arm their timer for the rest. For tests only: the database's clock and
-- every other column stay as they are.
-- $1 ms: bigint, how far to move the jobs
-- $2 queues: text[], the queues whose jobs move, or NULL for every queue
WITH moved AS MATERIALIZED (
  UPDATE {{schema}}.jobs
  SET run_at = run_at - $1::bigint * interval '1 millisecond'
  WHERE state = 'pending' AND ($2::text[] IS NULL OR queue = ANY ($2::text[]))
  RETURNING queue, run_at
), shifted AS MATERIALIZED (
  UPDATE {{schema}}.schedules
  SET clock_offset_ms = clock_offset_ms + $1::bigint
  WHERE $2::text[] IS NULL OR queue = ANY ($2::text[])
  RETURNING name
), announced AS MATERIALIZED (
  SELECT {{schema}}.announce(queue, count(*), min(run_at)) FROM moved GROUP BY queue
)
SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM shifted)::int AS schedules,
       (SELECT count(*) FROM announced)::int AS queues;
