-- The lean claim: claim_jobs.sql for the common queue, whose settings do not shape its claims
-- (not paused, no concurrency or rate limit, not fair or grouped), and for a claim of every
-- tenant's jobs. Claims up to $2 jobs due within $5 ms, highest priority (lowest number) first,
-- then oldest run_at, with SKIP LOCKED and a lease token per job, as claim_jobs.sql does; its plan
-- is a third of that statement's, which a claim's round trip shows (about 1.7 against 1.1 ms for
-- one job, measured with the server's fsync off: bench/NOTES.md).
-- It reads the queue's settings like every claim, and claims nothing when they shape claims:
-- `shaped` is then true, and the caller claims again at once through claim_jobs.sql.
-- $1 queue: text
-- $2 limit: integer, how many jobs at most
-- $3 lease_ms: integer, lease duration
-- $4 worker_id: text
-- $5 ahead_ms: integer, also claim jobs due within this many ms (see claim_jobs.sql)
-- The commit is durable, as claim_jobs.sql's.
WITH settings AS MATERIALIZED (
  SELECT paused OR fair_tenants OR concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL
         AS shaped
  FROM {{schema}}.queues WHERE name = $1
), picked AS MATERIALIZED (
  SELECT id FROM {{schema}}.jobs
  WHERE queue = $1 AND state = 'pending'
    AND run_at <= now() + $5::integer * interval '1 millisecond'
  ORDER BY priority, run_at, id
  LIMIT CASE WHEN coalesce((SELECT shaped FROM settings), false) THEN 0 ELSE $2 END
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'running',
      attempts = j.attempts + 1,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + $3 * interval '1 millisecond',
      worker_id = $4,
      heartbeat_at = now(),
      -- A job claimed ahead ($5) starts when it is due.
      started_at = greatest(now(), j.run_at),
      updated_at = now()
  FROM picked
  -- The array lets the planner look the ids up by primary key whatever it guesses of `picked`.
  WHERE j.id = ANY (ARRAY(SELECT id FROM picked)) AND j.id = picked.id
  RETURNING j.id, j.queue, j.name, j.payload, j.priority, j.run_at, j.attempts, j.max_attempts,
            j.backoff, j.lease_token, j.lease_expires_at, j.worker_id, j.idempotency_key,
            j.tenant, j.last_error, j.created_at, j.started_at, j.trace_context, j.schedule,
            j.tick_at, j.flow_id IS NOT NULL OR j.has_children AS may_release
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'started', 'id', id, 'queue', queue, 'attempt', attempts, 'workerId', worker_id,
    'at', started_at))) END AS sent
  FROM claimed
  WHERE {{schema}}.events_watched()
)
-- The columns of claim_jobs.sql, those of limits and fairness empty, and `shaped`.
SELECT c.*, extract(epoch FROM clock.now) * 1000 AS db_now_ms,
       extract(epoch FROM clock.now) * 1000 + $5::integer AS looked_until_ms,
       CASE WHEN c.schedule IS NOT NULL THEN
         (SELECT sc.overlap = 'skip' OR sc.misfire = 'skip'
          FROM {{schema}}.schedules AS sc WHERE sc.name = c.schedule) END AS schedule_may_skip,
       NULL::double precision AS retry_in_ms, false AS capped, NULL::boolean AS more,
       NULL::text AS cursor,
       coalesce((SELECT shaped FROM settings), false) AS shaped
FROM (SELECT now() AS now) AS clock
LEFT JOIN (SELECT claimed.* FROM claimed CROSS JOIN events) AS c ON true
ORDER BY c.priority, c.run_at, c.id
