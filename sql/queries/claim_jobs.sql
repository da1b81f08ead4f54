-- Claims up to $2 due pending jobs of one queue, highest priority (lowest number) first, then
-- oldest run_at. SKIP LOCKED lets concurrent claimers take disjoint rows without waiting. Each
-- job gets its own lease token, which every later call for the job must present (fencing).
-- While someone watches (events_watched()), a `started` event per job goes out.
-- $1 queue: text
-- $2 limit: integer, how many jobs at most
-- $3 lease_ms: integer, lease duration
-- $4 worker_id: text
-- No durable commit: a claim lost in a crash only makes its jobs claimable again, so this
-- statement's transaction commits without waiting for the WAL flush (set_config is local to it).
WITH async_commit AS MATERIALIZED (
  SELECT set_config('synchronous_commit', 'off', true)
), picked AS MATERIALIZED (
  SELECT id FROM {{schema}}.jobs
  WHERE queue = $1 AND state = 'pending' AND run_at <= now()
  ORDER BY priority, run_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'running',
      attempts = j.attempts + 1,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + $3 * interval '1 millisecond',
      worker_id = $4,
      heartbeat_at = now(),
      started_at = now(),
      updated_at = now()
  FROM picked
  WHERE j.id = ANY (ARRAY(SELECT id FROM picked)) AND j.id = picked.id
  RETURNING j.id, j.queue, j.name, j.payload, j.priority, j.run_at, j.attempts, j.max_attempts,
            j.backoff, j.lease_token, j.lease_expires_at, j.worker_id, j.idempotency_key,
            j.tenant, j.last_error, j.created_at, j.started_at
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'started', 'id', id, 'queue', queue, 'attempt', attempts, 'workerId', worker_id,
    'at', started_at))) END AS sent
  FROM claimed
  WHERE {{schema}}.events_watched()
)
-- Always one row at least: the database's clock when the claim looked, even when it found
-- nothing, so a consumer knows from which moment on a job must be newly due to be missed.
SELECT c.*, extract(epoch FROM clock.now) * 1000 AS db_now_ms
FROM (SELECT now() AS now) AS clock
LEFT JOIN (SELECT claimed.* FROM claimed CROSS JOIN events CROSS JOIN async_commit) AS c ON true
