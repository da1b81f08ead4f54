-- Claims up to $2 due pending jobs of one queue, highest priority (lowest number) first, then
-- oldest run_at. SKIP LOCKED lets concurrent claimers take disjoint rows without waiting. Each
-- job gets its own lease token, which every later call for the job must present (fencing).
-- While someone watches (events_watched()), a `started` event per job goes out.
-- The queue's settings row, when it has one, shapes the claim: a paused queue hands out nothing;
-- a concurrency or rate limit caps how many jobs this claim takes (claim_budget() serialises the
-- claims of such a queue); a fair queue serves its tenants in turn (fair_candidates()), going on
-- after the tenant the consumer's previous claim ended with. Settings are read by every claim,
-- so a change takes effect at the next claim of every consumer, whatever it was told. A claim
-- scoped to one tenant ($6) takes only that tenant's jobs (fairness has nothing to share out).
-- A queue with group limits (migration 0017) is fair and claims through group_candidates(), which
-- walks its groups (tenants) within their caps, rate limits and FIFO order, and with $6 only one.
-- $1 queue: text
-- $2 limit: integer, how many jobs at most
-- $3 lease_ms: integer, lease duration
-- $4 worker_id: text
-- $5 after_tenant: text, for a fair queue: the `cursor` the previous claim returned, or NULL
-- $6 tenant: text, claim only this tenant's jobs, or NULL for every tenant's
-- $7 ahead_ms: integer, also claim jobs due within this many ms (a consumer starts them on a
--    local timer when they are due, so that the claim's round trip does not make them late);
--    0 for due jobs only. A fair or grouped queue's claim takes due jobs only.
-- The commit is durable (the server's synchronous_commit): a claim lost in a crash would make
-- its jobs claimable again while their handlers already run, and so run them twice.
WITH settings AS MATERIALIZED (
  SELECT paused, fair_tenants, concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL AS limited,
         fair_tenants AND (group_concurrency_limit IS NOT NULL OR group_rate_limit IS NOT NULL
           OR group_fifo OR group_overrides) AS grouped
  FROM {{schema}}.queues WHERE name = $1
), limited AS MATERIALIZED (
  SELECT b.* FROM settings AS s CROSS JOIN LATERAL {{schema}}.claim_budget($1, $2) AS b
  WHERE s.limited AND NOT s.paused
), budget AS MATERIALIZED (
  SELECT CASE WHEN coalesce((SELECT paused FROM settings), false) THEN 0
              ELSE coalesce((SELECT n FROM limited), $2) END AS n,
         coalesce((SELECT fair_tenants FROM settings), false) AND $6::text IS NULL AS fair,
         coalesce((SELECT grouped FROM settings), false) AS grouped
), plain_pick AS MATERIALIZED (
  -- Each pick below runs only in its case (a LIMIT of 0 reads nothing): every tenant, unfair;
  -- one tenant; every tenant, fair.
  SELECT id FROM {{schema}}.jobs
  WHERE queue = $1 AND state = 'pending'
    AND run_at <= now() + $7::integer * interval '1 millisecond'
  ORDER BY priority, run_at, id
  LIMIT (SELECT CASE WHEN fair OR grouped OR $6::text IS NOT NULL THEN 0 ELSE n END FROM budget)
  FOR UPDATE SKIP LOCKED
), tenant_pick AS MATERIALIZED (
  -- COLLATE "C" as in jobs_claim_tenant_idx: no other index can serve this pick (migration 0008).
  SELECT id FROM {{schema}}.jobs
  WHERE queue COLLATE "C" = $1 AND tenant COLLATE "C" = $6 AND state = 'pending'
    AND run_at <= now() + $7::integer * interval '1 millisecond'
  ORDER BY priority, run_at, id
  LIMIT (SELECT CASE WHEN $6::text IS NULL OR grouped THEN 0 ELSE n END FROM budget)
  FOR UPDATE SKIP LOCKED
), candidates AS MATERIALIZED (
  -- Called only for a fair queue: calling a SQL function costs planning its body.
  SELECT f.*, NULL::double precision AS retry_in_ms
  FROM budget AS b CROSS JOIN LATERAL {{schema}}.fair_candidates($1, b.n, $5) AS f
  WHERE b.fair AND NOT b.grouped
  UNION ALL
  SELECT g.* FROM budget AS b CROSS JOIN LATERAL {{schema}}.group_candidates($1, b.n, $5, $6) AS g
  WHERE b.grouped
), fair_pick AS MATERIALIZED (
  SELECT j.id, c.tenant, c.step FROM candidates AS c
  JOIN {{schema}}.jobs AS j ON j.id = c.id
  -- Not even started unless fair; then by primary key, whatever the planner guesses. The state
  -- is tested as `state || ''` so that the planner cannot answer it from the partial claim index
  -- (a bitmap scan of every pending job, as PostgreSQL 15 planned it); it is still re-checked
  -- on the newest row version once locked.
  WHERE (SELECT fair OR grouped FROM budget)
    AND j.id = ANY (ARRAY(SELECT id FROM candidates)) AND j.state || '' = 'pending'
  ORDER BY c.ord
  LIMIT (SELECT n FROM budget)
  FOR UPDATE OF j SKIP LOCKED
), picked AS (
  SELECT id FROM plain_pick UNION ALL SELECT id FROM tenant_pick UNION ALL SELECT id FROM fair_pick
), claimed AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'running',
      attempts = j.attempts + 1,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + $3 * interval '1 millisecond',
      worker_id = $4,
      heartbeat_at = now(),
      -- A limited queue's claims take turns on its row lock: a job starts when its claim was
      -- granted (the rate limit's clock), not when the claim began waiting for the lock. A job
      -- claimed ahead ($7) starts when it is due.
      started_at = greatest(coalesce((SELECT at FROM limited), now()), j.run_at),
      updated_at = now()
  FROM picked
  WHERE j.id = ANY (ARRAY(SELECT id FROM picked)) AND j.id = picked.id
  RETURNING j.id, j.queue, j.name, j.payload, j.priority, j.run_at, j.attempts, j.max_attempts,
            j.backoff, j.lease_token, j.lease_expires_at, j.worker_id, j.idempotency_key,
            j.tenant, j.last_error, j.created_at, j.started_at, j.trace_context, j.schedule,
            j.tick_at, j.flow_id IS NOT NULL OR j.has_children AS may_release
), spent AS (
  -- The token bucket after this claim (the row is locked by claim_budget()).
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
-- Always one row at least: the database's clock when the claim looked, even when it found
-- nothing, so a consumer knows from which moment on a job must be newly due to be missed; and
-- what the queue's settings say about claiming again: `retry_in_ms` when the rate limit's next
-- token arrives (none left), `capped` when the concurrency limit is reached (a settling job
-- announces the freed slot), `more` for a fair claim that may have left due jobs behind although
-- it came back short, and the fair `cursor` to pass to the next claim. For a schedule's tick,
-- `schedule_may_skip` says whether its schedule's policies can skip a tick (NULL when the
-- schedule is gone): one that cannot has its handler started before the schedule is moved on.
-- `looked_until_ms`: the latest due time the claim looked at (ahead of the clock by $7 unless the
-- queue is fair or grouped).
-- `may_release`: whether the job's completion may release children (a job of a flow, or one a
-- later job depends on), for which its worker may take a hand-off (migration 0020).
-- `shaped`: whether the queue's settings shape its claims (paused, limited, fair or grouped);
-- while they do not, a consumer claims through the leaner claim_plain.sql.
SELECT c.*, extract(epoch FROM clock.now) * 1000 AS db_now_ms,
       extract(epoch FROM clock.now) * 1000
         + CASE WHEN (SELECT fair OR grouped FROM budget) THEN 0 ELSE $7::integer END
         AS looked_until_ms,
       CASE WHEN c.schedule IS NOT NULL THEN
         (SELECT sc.overlap = 'skip' OR sc.misfire = 'skip'
          FROM {{schema}}.schedules AS sc WHERE sc.name = c.schedule) END AS schedule_may_skip,
       coalesce((SELECT CASE WHEN s.rate_tokens < 1
          THEN ceil((1 - s.rate_tokens) * s.rate_period_ms / s.rate_limit) END
        FROM spent AS s), (SELECT min(retry_in_ms) FROM candidates)) AS retry_in_ms,
       coalesce((SELECT capped FROM limited), false) AS capped,
       CASE WHEN (SELECT fair OR grouped FROM budget)
         THEN (SELECT bool_or(more) FROM candidates)
              OR (SELECT count(id) FROM candidates) > (SELECT count(*) FROM fair_pick) END AS more,
       coalesce((SELECT tenant FROM candidates WHERE id IS NULL),
                (SELECT tenant FROM fair_pick ORDER BY step DESC LIMIT 1)) AS cursor,
       coalesce((SELECT paused OR fair_tenants OR limited FROM settings), false) AS shaped
FROM (SELECT now() AS now) AS clock
LEFT JOIN (SELECT claimed.* FROM claimed CROSS JOIN events) AS c ON true
ORDER BY c.priority, c.run_at, c.id
