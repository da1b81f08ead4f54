-- Records a failed attempt for many running jobs in one statement (fenced by the lease token).
-- A job goes back to pending at now() + retry_delay_ms when the error is retryable and attempts
-- remain, otherwise to dead. Jobs put back are announced on the jobs channel so idle workers in
-- any process can arm a timer for them. While someone watches, emits `failed` and then `retried`
-- or `dead` per job. The children of a job gone dead are settled by their policy (migration
-- 0016).
-- $1 failures: jsonb array of {id, token, error (jsonb), retryable (boolean), retry_delay_ms}
-- $2 keep_errors: integer, how many error records a job keeps
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS t(id uuid, token uuid, error jsonb, retryable boolean, retry_delay_ms bigint)
), failed AS (
  SELECT j.id, input.token, j.attempts < j.max_attempts AND input.retryable AS retry,
         input.error || jsonb_build_object('attempt', j.attempts, 'at', now()) AS error,
         input.retry_delay_ms
  FROM input
  JOIN {{schema}}.jobs AS j ON j.id = input.id
  -- By primary key, whatever the planner guesses about the input's size. A matching lease token
  -- means the job is running (constraint jobs_lease_iff_running), so state is not tested: that
  -- would steer the planner to the index of all running jobs.
  WHERE j.id = ANY (ARRAY(SELECT id FROM input))
    AND j.lease_token = input.token
), done AS (
  UPDATE {{schema}}.jobs AS j
  SET state = CASE WHEN failed.retry THEN 'pending' ELSE 'dead' END,
      run_at = CASE WHEN failed.retry
                 THEN now() + failed.retry_delay_ms * interval '1 millisecond' ELSE j.run_at END,
      finished_at = CASE WHEN failed.retry THEN NULL ELSE now() END,
      last_error = failed.error,
      errors = {{schema}}.append_error(j.errors, failed.error, $2),
      lease_token = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM failed
  -- Re-checked here: a concurrent change to the row is judged on its newest version.
  WHERE j.id = ANY (ARRAY(SELECT id FROM failed))
    AND j.id = failed.id AND j.lease_token = failed.token
  RETURNING j.id, j.queue, j.state, j.run_at, j.attempts, failed.error,
            j.flow_id IS NOT NULL OR j.has_children AS parent
), follow AS MATERIALIZED (
  SELECT * FROM {{schema}}.after_failure((SELECT coalesce(jsonb_agg(to_jsonb(done)), '[]') FROM done))
), dependents AS MATERIALIZED (
  SELECT CASE WHEN cardinality(parents) = 0 THEN 0
              ELSE {{schema}}.settle_dependents(parents, 'dead') END AS released
  FROM (SELECT ARRAY(SELECT id FROM done WHERE state = 'dead' AND parent) AS parents) AS p
)
-- Only refused rows are looked up again, by primary key (a join would scan the table).
SELECT input.id, done.id IS NOT NULL AS ok, done.state AS new_state, done.run_at,
       CASE WHEN done.id IS NULL
         THEN {{schema}}.job_state(input.id) END
         AS current_state,
       follow.notified, follow.freed
FROM input
CROSS JOIN follow
CROSS JOIN dependents

LEFT JOIN done ON done.id = input.id
