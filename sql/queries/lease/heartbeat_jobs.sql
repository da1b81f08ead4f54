-- Renews the leases of many running jobs in one statement. A lease renews only if its token still
-- matches; the rest come back with ok = false and the row's current state, so the caller
-- can abort those jobs (lost to the sweeper or another worker, cancelled, or gone).
-- $1 leases: jsonb array of {id, token}
-- $2 lease_ms: integer, new lease duration from now
-- No durable commit: a renewal lost in a crash only lets the lease expire sooner; the statement's
-- transaction commits without waiting for the WAL flush (set_config is local to it).
WITH async_commit AS MATERIALIZED (
  SELECT set_config('synchronous_commit', 'off', true)
), input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, token uuid)
), renewed AS (
  UPDATE {{schema}}.jobs AS j
  SET lease_expires_at = now() + $2 * interval '1 millisecond', heartbeat_at = now()
  FROM input
  -- By primary key, whatever the planner guesses about the input's size. A matching lease token
  -- means the job is running (constraint jobs_lease_iff_running), so state is not tested: that
  -- would steer the planner to the index of all running jobs.
  WHERE j.id = ANY (ARRAY(SELECT id FROM input))
    AND j.id = input.id AND j.lease_token = input.token
  RETURNING j.id, j.lease_expires_at
)
-- Only refused rows are looked up again, by primary key (a join would scan the table).
SELECT input.id, renewed.id IS NOT NULL AS ok, renewed.lease_expires_at,
       CASE WHEN renewed.id IS NULL
         THEN {{schema}}.job_state(input.id) END
         AS current_state
FROM input
CROSS JOIN async_commit
LEFT JOIN renewed ON renewed.id = input.id
