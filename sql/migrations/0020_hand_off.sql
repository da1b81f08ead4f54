-- pgpulse migration 0020: hand-off. A worker that completes the last parent of a child starts
-- the child itself: the statement that completes the parent and releases the child also leases
-- the child to that worker, in the slot the parent frees, so the child starts when the
-- completion returns instead of after a notification and a claim of its own (a commit and a
-- round trip less). Only a child first in line is taken (no due pending job of its queue comes
-- before it), only from a queue whose settings do not shape its claims (not paused, no
-- concurrency or rate limit, not fair or grouped: those are claimed through claim_budget() and
-- their candidates' functions only), and only when the child is due. Everything else is
-- released as before: pending, announced, claimed by whoever comes first. Adds a function only,
-- which older code never calls: hence compatible with 18.
-- compatible-with: 18

-- Leases to `worker` the first due pending child, in `take_queue`, of `parents` (jobs the calling
-- statement has just completed), if it is first in line in its queue; returns it, or nothing.
-- Its lease token is `token`, which the worker chose: a completion retried because its reply was
-- lost finds the child its first attempt was handed by that token (complete_jobs.sql).
-- Runs as the schema's owner, as settle_dependents() does.
CREATE FUNCTION {{schema}}.take_released(
  parents uuid[], take_queue text, lease_ms integer, worker text, token uuid)
RETURNS SETOF {{schema}}.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  chosen uuid;
BEGIN
  IF coalesce(cardinality(parents), 0) = 0 OR take_queue IS NULL OR token IS NULL OR EXISTS (
    SELECT 1 FROM {{schema}}.queues AS q
    WHERE q.name = take_queue
      AND (q.paused OR q.fair_tenants OR q.concurrency_limit IS NOT NULL
           OR q.rate_limit IS NOT NULL)
  ) THEN
    RETURN;
  END IF;
  SELECT c.id INTO chosen
  FROM {{schema}}.job_deps AS d
  JOIN {{schema}}.jobs AS c ON c.id = d.child
  WHERE d.parent = ANY (parents) AND c.queue = take_queue AND c.state = 'pending'
    AND c.run_at <= now()
    -- First in line: no due pending job of the queue would be claimed before it.
    AND NOT EXISTS (
      SELECT 1 FROM {{schema}}.jobs AS o
      WHERE o.queue = take_queue AND o.state = 'pending' AND o.run_at <= now()
        AND (o.priority, o.run_at, o.id) < (c.priority, c.run_at, c.id))
  ORDER BY c.priority, c.run_at, c.id
  LIMIT 1
  FOR UPDATE OF c SKIP LOCKED;
  IF chosen IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH taken AS (
    UPDATE {{schema}}.jobs AS j
    SET state = 'running',
        attempts = j.attempts + 1,
        lease_token = token,
        -- The clock, not the statement's start: a parent completed by another statement that
        -- this one waited for (its lock on the child) finished after this statement began.
        lease_expires_at = clock_timestamp() + lease_ms * interval '1 millisecond',
        worker_id = worker,
        heartbeat_at = clock_timestamp(),
        started_at = clock_timestamp(),
        updated_at = clock_timestamp()
    WHERE j.id = chosen AND j.state = 'pending'
    RETURNING j.*
  ), events AS (
    SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
      'type', 'started', 'id', id, 'queue', queue, 'attempt', attempts, 'workerId', worker_id,
      'at', started_at))) END AS sent
    FROM taken
    WHERE {{schema}}.events_watched()
  )
  SELECT taken.* FROM taken CROSS JOIN events;
END
$$;
