-- The visibility-timeout sweeper: running jobs whose lease expired (their worker crashed, hung
-- or lost the database) go back to pending, or to dead when that attempt was their last, so a
-- job that kills its worker every time cannot loop forever (an expiry spends an attempt). An
-- orphan keeps its run_at, and so its place in line: it does not wait behind the whole backlog
-- that arrived while it ran. A job whose previous attempt expired too (it may be what kills its
-- workers) goes to the back of the line instead, due now. The expiry is recorded in
-- the job's error history. Jobs put back are announced so idle workers take them at once. While
-- someone watches, emits `failed` and then `retried` or `dead` per job.
-- $1 limit: integer, how many jobs at most in this pass
-- $2 keep_errors: integer, how many error records a job keeps
WITH expired AS MATERIALIZED (
  SELECT id, attempts < max_attempts AS retry,
         coalesce(last_error ->> 'code' = 'LEASE_EXPIRED', false) AS again,
         jsonb_build_object(
           'name', 'LeaseExpired',
           'message', format('lease expired at %s: worker %s stopped heartbeating',
                             lease_expires_at, coalesce(worker_id, '(unknown)')),
           'code', 'LEASE_EXPIRED', 'retryable', true, 'attempt', attempts, 'at', now()) AS error
  FROM {{schema}}.jobs
  WHERE state = 'running' AND lease_expires_at < now()
  ORDER BY lease_expires_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), done AS (
  UPDATE {{schema}}.jobs AS j
  SET state = CASE WHEN expired.retry THEN 'pending' ELSE 'dead' END,
      run_at = CASE WHEN expired.retry AND expired.again THEN now() ELSE j.run_at END,
      finished_at = CASE WHEN expired.retry THEN NULL ELSE now() END,
      last_error = expired.error,
      errors = {{schema}}.append_error(j.errors, expired.error, $2),
      lease_token = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM expired
  WHERE j.id = ANY (ARRAY(SELECT id FROM expired)) AND j.id = expired.id
  RETURNING j.id, j.queue, j.state, j.run_at, j.attempts, expired.error,
            j.flow_id IS NOT NULL OR j.has_children AS parent
), follow AS MATERIALIZED (
  SELECT * FROM {{schema}}.after_failure((SELECT coalesce(jsonb_agg(to_jsonb(done)), '[]') FROM done))
), dependents AS MATERIALIZED (
  -- The children of a job gone dead are settled by their policy (migration 0016).
  SELECT CASE WHEN cardinality(parents) = 0 THEN 0
              ELSE {{schema}}.settle_dependents(parents, 'dead') END AS released
  FROM (SELECT ARRAY(SELECT id FROM done WHERE state = 'dead' AND parent) AS parents) AS p
)
SELECT id, queue, state, follow.notified, follow.freed
FROM done CROSS JOIN follow
CROSS JOIN dependents
