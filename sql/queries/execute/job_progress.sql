-- Stores a running job's progress, fenced by its lease token, and publishes it as a `progress`
-- event while someone watches. A refused call comes back with ok = false and the job's state.
-- No durable commit: progress is a hint, and a newer report or the result supersedes it.
-- $1 id: uuid
-- $2 token: uuid, the lease token
-- $3 progress: jsonb (JSON text)
WITH async_commit AS MATERIALIZED (
  SELECT set_config('synchronous_commit', 'off', true)
), done AS (
  UPDATE {{schema}}.jobs
  SET progress = $3::jsonb, updated_at = now()
  WHERE id = $1 AND lease_token = $2
  RETURNING id, queue, attempts
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'progress', 'id', id, 'queue', queue, 'attempt', attempts, 'progress', $3::jsonb,
    'at', now()))) END AS sent
  FROM done
  WHERE {{schema}}.events_watched()
)
SELECT (SELECT count(*) FROM done) > 0 AS ok,
       {{schema}}.job_state($1) AS current_state,
       (SELECT sent FROM events) AS sent
FROM async_commit
