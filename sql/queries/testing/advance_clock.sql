-- The test clock (pgpulse/testing, TestClock.advance): moves every pending job $1 ms earlier,
-- as if that much time had passed for it, so that delayed jobs, retries waiting out their backoff
-- and snoozed jobs fall due without waiting. Their order among themselves is kept. Each queue
-- whose jobs moved is announced with its new earliest run_at, so that idle workers in any
-- process claim what is due now and re-arm their timer for the rest. For tests only: the
-- database's clock and every other column stay as they are.
-- $1 ms: bigint, how far to move the jobs
-- $2 queues: text[], the queues whose jobs move, or NULL for every queue
WITH moved AS MATERIALIZED (
  UPDATE {{schema}}.jobs
  SET run_at = run_at - $1::bigint * interval '1 millisecond'
  WHERE state = 'pending' AND ($2::text[] IS NULL OR queue = ANY ($2::text[]))
  RETURNING queue, run_at
), announced AS MATERIALIZED (
  SELECT {{schema}}.announce(queue, count(*), min(run_at)) FROM moved GROUP BY queue
)
SELECT (SELECT count(*) FROM moved)::int AS moved, (SELECT count(*) FROM announced)::int AS queues;
