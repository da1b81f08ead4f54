-- Gives running jobs back to pending without spending an attempt (the claim's increment is
-- undone), fenced by the lease token. Without a delay a job keeps its run_at and so its place
-- in line. Released jobs are announced so a worker in any process can take them at once. While
-- someone watches, emits `released` events.
-- $1 releases: jsonb array of {id, token, delay_ms (null = due now)}
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, token uuid, delay_ms bigint)
), done AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'pending',
      attempts = greatest(j.attempts - 1, 0),
      run_at = CASE WHEN input.delay_ms IS NULL
                 THEN j.run_at ELSE now() + input.delay_ms * interval '1 millisecond' END,
      lease_token = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM input
  -- By primary key, whatever the planner guesses about the input's size. A matching lease token
  -- means the job is running (constraint jobs_lease_iff_running), so state is not tested: that
  -- would steer the planner to the index of all running jobs.
  WHERE j.id = ANY (ARRAY(SELECT id FROM input))
    AND j.id = input.id AND j.lease_token = input.token
  RETURNING j.id, j.queue, j.run_at
), notified AS (
  SELECT {{schema}}.announce(queue, count(*), min(run_at))
  FROM done GROUP BY queue
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'released', 'id', id, 'queue', queue, 'runAt', run_at, 'at', now()))) END
  FROM done
  WHERE {{schema}}.events_watched()
)
-- Only refused rows are looked up again, by primary key (a join would scan the table).
SELECT input.id, done.id IS NOT NULL AS ok, done.run_at,
       CASE WHEN done.id IS NULL
         THEN {{schema}}.job_state(input.id) END
         AS current_state,
       (SELECT count(*) FROM notified) AS notified
FROM input
CROSS JOIN events
LEFT JOIN done ON done.id = input.id
