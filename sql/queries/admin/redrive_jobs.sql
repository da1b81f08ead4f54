-- Brings dead jobs back to pending with a fresh set of attempts (the error history stays), due
-- now, and announces them. Selects by queue, by ids, or both; at most $3 jobs per call. A dead
-- job whose idempotency key is now held by an unfinished job is skipped, and of several dead jobs
-- sharing a key only the newest comes back, so the key stays unique among unfinished jobs.
-- While someone watches, emits a `retried` event per job. What a redriven job's failure stopped
-- in its flow waits for it again (migration 0016); a job that a parent's failure stopped (code
-- PARENT_FAILED) comes back that way, not by a redrive of its queue (only when named in $2).
-- $1 queue: text, or NULL for any queue
-- $2 ids: uuid[], or NULL for any dead job of the queue
-- $3 limit: integer
WITH picked AS MATERIALIZED (
  SELECT d.id, d.queue, d.idempotency_key, d.finished_at FROM {{schema}}.jobs AS d
  WHERE d.state = 'dead'
    AND ($1::text IS NULL OR d.queue = $1)
    AND ($2::uuid[] IS NULL OR d.id = ANY($2))
    AND ($2::uuid[] IS NOT NULL OR (d.last_error ->> 'code') IS DISTINCT FROM 'PARENT_FAILED')
    AND NOT EXISTS (
      SELECT 1 FROM {{schema}}.jobs AS h
      WHERE h.queue = d.queue AND h.idempotency_key = d.idempotency_key
        AND h.state IN ('pending', 'running'))
  ORDER BY d.finished_at, d.id
  LIMIT $3
  FOR UPDATE OF d SKIP LOCKED
), chosen AS (
  SELECT DISTINCT ON (queue, coalesce(idempotency_key, id::text)) id
  FROM picked
  ORDER BY queue, coalesce(idempotency_key, id::text), finished_at DESC
), done AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now()
  FROM chosen
  WHERE j.id = ANY (ARRAY(SELECT id FROM chosen)) AND j.id = chosen.id
  RETURNING j.id, j.queue, j.run_at
), notified AS (
  SELECT {{schema}}.announce(queue, count(*), min(run_at))
  FROM done GROUP BY queue
), resumed AS MATERIALIZED (
  SELECT {{schema}}.resume_dependents(ARRAY(SELECT id FROM done)) AS resumed
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'retried', 'id', id, 'queue', queue, 'attempt', 0, 'runAt', run_at,
    'redriven', true, 'at', now()))) END
  FROM done
  WHERE {{schema}}.events_watched()
)
SELECT id, (SELECT count(*) FROM notified) AS notified FROM done CROSS JOIN events
CROSS JOIN resumed
