-- Retention: deletes up to $4 finished jobs that finished more than $2 ms ago, oldest first,
-- copying them into jobs_archive first when $5 is true. Bounded so that one pass never holds
-- many locks or writes a huge transaction; the caller loops until a pass comes back short.
-- $1 states: text[], which finished states to prune
-- $2 older_than_ms: bigint
-- $3 queue: text, or NULL for every queue
-- $4 limit: integer
-- $5 archive: boolean
WITH doomed AS MATERIALIZED (
  SELECT id FROM {{schema}}.jobs
  WHERE state IN ('completed', 'dead', 'cancelled') AND state = ANY($1::text[])
    AND finished_at < now() - $2 * interval '1 millisecond'
    AND ($3::text IS NULL OR queue = $3)
  ORDER BY finished_at
  LIMIT $4
  FOR UPDATE SKIP LOCKED
), deleted AS (
  DELETE FROM {{schema}}.jobs AS j
  WHERE j.id = ANY (ARRAY(SELECT id FROM doomed))
  RETURNING j.*
), archived AS (
  INSERT INTO {{schema}}.jobs_archive
    (id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
     lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
     last_error, errors, created_at, started_at, finished_at, updated_at)
  SELECT id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
         lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
         last_error, errors, created_at, started_at, finished_at, updated_at
  FROM deleted
  WHERE $5::boolean
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
SELECT (SELECT count(*) FROM deleted) AS deleted, (SELECT count(*) FROM archived) AS archived
