-- Claims up to $2 due pending jobs of one queue that belong to one tenant; otherwise the same
-- as claim_jobs.sql (paused queues and limits included; fairness has nothing to share out).
-- $1 queue: text
-- $2 limit: integer, how many jobs at most
-- $3 lease_ms: integer, lease duration
-- $4 worker_id: text
-- $5 tenant: text
WITH async_commit AS MATERIALIZED (
  SELECT set_config('synchronous_commit', 'off', true)
), settings AS MATERIALIZED (
  SELECT paused, concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL AS limited
  FROM {{schema}}.queues WHERE name = $1
), limited AS MATERIALIZED (
  SELECT b.* FROM settings AS s CROSS JOIN LATERAL {{schema}}.claim_budget($1, $2) AS b
  WHERE s.limited AND NOT s.paused
), picked AS MATERIALIZED (
  SELECT id FROM {{schema}}.jobs
  WHERE queue = $1 AND tenant = $5 AND state = 'pending' AND run_at <= now()
  ORDER BY priority, run_at, id
  LIMIT (SELECT CASE WHEN coalesce((SELECT paused FROM settings), false) THEN 0
                     ELSE coalesce((SELECT n FROM limited), $2) END)
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
            j.tenant, j.last_error, j.created_at, j.started_at, j.trace_context
), spent AS (
  UPDATE {{schema}}.queues AS q
  SET rate_tokens = l.tokens - (SELECT count(*) FROM claimed), rate_updated_at = l.at
  FROM limited AS l
  WHERE q.name = $1 AND l.tokens IS NOT NULL
  RETURNING q.rate_tokens, q.rate_limit, q.rate_period_ms
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'started', 'id', id, 'queue', queue, 'attempt', attempts, 'workerId', worker_id,
    'at', started_at))) END AS sent
  FROM claimed
  WHERE {{schema}}.events_watched()
)
SELECT c.*, extract(epoch FROM clock.now) * 1000 AS db_now_ms,
       (SELECT CASE WHEN s.rate_tokens < 1
          THEN ceil((1 - s.rate_tokens) * s.rate_period_ms / s.rate_limit) END
        FROM spent AS s) AS retry_in_ms,
       coalesce((SELECT capped FROM limited), false) AS capped,
       NULL::boolean AS more, NULL::text AS cursor
FROM (SELECT now() AS now) AS clock
LEFT JOIN (SELECT claimed.* FROM claimed CROSS JOIN events CROSS JOIN async_commit) AS c ON true
ORDER BY c.priority, c.run_at, c.id
