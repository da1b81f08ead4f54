-- Cancels a waiting, pending or running job. A pending job will never be claimed; a running job
-- loses its lease, so its holder's later complete/fail is refused (cancel wins), and a {cancel,
-- queue} notice on the jobs channel lets the process running it abort the handler. A cancelled job
-- leaves the hot table for jobs_done (one retaining its idempotency key stays, cancelled in
-- place, as does a job of a flow, whose children are settled by their policy: migration 0016).
-- Returns no row for an unknown id, and cancelled = false with the state for a job that
-- had already finished. While someone watches, emits a `cancelled` event.
-- $1 id: uuid
WITH prev AS MATERIALIZED (
  SELECT id, queue, state, key_retained, flow_id, has_children FROM {{schema}}.jobs
  WHERE id = $1 FOR UPDATE
), moved AS (
  DELETE FROM {{schema}}.jobs AS j
  USING prev
  WHERE j.id = prev.id AND prev.state IN ('waiting', 'pending', 'running')
    AND NOT prev.key_retained AND prev.flow_id IS NULL
  RETURNING j.*
), filed AS (
  INSERT INTO {{schema}}.jobs_done
    (id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
     lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
     last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
     trace_context, key_retained, schedule, tick_at)
  SELECT id, queue, name, payload, 'cancelled', priority, run_at, attempts, max_attempts, backoff,
         NULL, NULL, worker_id, heartbeat_at, idempotency_key, tenant, result,
         last_error, errors, created_at, started_at, now(), now(), progress, logs,
         trace_context, key_retained, schedule, tick_at
  FROM moved
  RETURNING id, queue
), kept AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL,
      finished_at = now(), updated_at = now()
  FROM prev
  WHERE j.id = prev.id AND prev.state IN ('waiting', 'pending', 'running')
    AND (prev.key_retained OR prev.flow_id IS NOT NULL)
  RETURNING j.id, j.queue
), done AS (
  SELECT * FROM filed UNION ALL SELECT * FROM kept
), dependents AS MATERIALIZED (
  SELECT CASE WHEN cardinality(parents) = 0 THEN 0
              ELSE {{schema}}.settle_dependents(parents, 'cancelled') END AS released
  FROM (SELECT ARRAY(SELECT prev.id FROM prev JOIN done ON done.id = prev.id
                     WHERE prev.flow_id IS NOT NULL OR prev.has_children) AS parents) AS p
), notified AS (
  SELECT {{schema}}.announce_cancel(prev.id, prev.queue)
  FROM prev JOIN done ON done.id = prev.id
  WHERE prev.state = 'running'
), freed AS (
  -- A cancelled running job frees a slot of a queue with a concurrency limit.
  SELECT {{schema}}.announce_freed(ARRAY(SELECT prev.queue FROM prev WHERE prev.state = 'running'))
    AS freed
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'cancelled', 'id', id, 'queue', queue, 'at', now()))) END
  FROM done
  WHERE {{schema}}.events_watched()
), found AS (
  -- A job no longer in the hot table has finished: say how.
  SELECT prev.state, prev.id FROM prev
  UNION ALL
  SELECT d.state, d.id FROM {{schema}}.jobs_done AS d
  WHERE d.id = $1 AND NOT EXISTS (SELECT 1 FROM prev)
)
SELECT found.state AS previous_state, done.id IS NOT NULL AS cancelled,
       (SELECT count(*) FROM notified) AS notified, (SELECT freed FROM freed) AS freed
FROM found
CROSS JOIN events
CROSS JOIN dependents
LEFT JOIN done ON done.id = found.id
