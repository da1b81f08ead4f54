-- Cancels a pending or running job. A pending job will never be claimed; a running job loses its
-- lease, so its holder's later complete/fail is refused (cancel wins), and a {cancel, queue}
-- notice on the jobs channel lets the process running it abort the handler. Returns no row for an unknown id, and
-- cancelled = false with the state for a job that had already finished. While someone watches,
-- emits a `cancelled` event.
-- $1 id: uuid
WITH prev AS MATERIALIZED (
  SELECT id, queue, state FROM {{schema}}.jobs WHERE id = $1 FOR UPDATE
), done AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL,
      finished_at = now(), updated_at = now()
  FROM prev
  WHERE j.id = prev.id AND prev.state IN ('pending', 'running')
  RETURNING j.id, j.queue
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
)
SELECT prev.state AS previous_state, done.id IS NOT NULL AS cancelled,
       (SELECT count(*) FROM notified) AS notified, (SELECT freed FROM freed) AS freed
FROM prev
CROSS JOIN events

LEFT JOIN done ON done.id = prev.id
