-- The visibility-timeout sweeper: running jobs whose lease expired (their worker crashed, hung
-- or lost the database) go back to pending, due now, or to dead when that attempt was their
-- last, so a job that kills its worker every time cannot loop forever. The expiry is recorded in
-- the job's error history. Jobs put back are announced so idle workers take them at once. While
-- someone watches, emits `failed` and then `retried` or `dead` per job.
-- $1 limit: integer, how many jobs at most in this pass
-- $2 keep_errors: integer, how many error records a job keeps
WITH expired AS MATERIALIZED (
  SELECT id, attempts < max_attempts AS retry,
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
      run_at = CASE WHEN expired.retry THEN now() ELSE j.run_at END,
      finished_at = CASE WHEN expired.retry THEN NULL ELSE now() END,
      last_error = expired.error,
      errors = {{schema}}.append_error(j.errors, expired.error, $2),
      lease_token = NULL,
      lease_expires_at = NULL,
      updated_at = now()
  FROM expired
  WHERE j.id = ANY (ARRAY(SELECT id FROM expired)) AND j.id = expired.id
  RETURNING j.id, j.queue, j.state, j.run_at, j.attempts, expired.error
), notified AS (
  SELECT {{schema}}.announce(queue, count(*), min(run_at))
  FROM done WHERE state = 'pending' GROUP BY queue
), freed AS (
  -- A finished running job frees a slot of a queue with a concurrency limit.
  SELECT {{schema}}.announce(q.name, 1, now()) FROM {{schema}}.queues AS q
  WHERE q.name IN (SELECT queue FROM done) AND q.concurrency_limit IS NOT NULL
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(e.event)) END
  FROM done
  CROSS JOIN LATERAL (VALUES
    (jsonb_build_object('type', 'failed', 'id', id, 'queue', queue, 'attempt', attempts,
       'error', left(error ->> 'message', 500), 'at', now())),
    (jsonb_build_object('type', CASE WHEN state = 'pending' THEN 'retried' ELSE 'dead' END,
       'id', id, 'queue', queue, 'attempt', attempts, 'runAt', run_at, 'at', now()))
  ) AS e(event)
  WHERE {{schema}}.events_watched()
)
SELECT id, queue, state, (SELECT count(*) FROM notified) AS notified,
       (SELECT count(*) FROM freed) AS freed
FROM done CROSS JOIN events
