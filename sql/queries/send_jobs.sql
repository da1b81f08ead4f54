-- Inserts a batch of jobs into one queue in one statement. Rows without an idempotency key go in
-- with a plain INSERT; keyed rows with ON CONFLICT, whose speculative insertion costs more per
-- row. A keyed job whose key is held by an unfinished job of the queue is not inserted; the no-op
-- DO UPDATE makes the statement return the holder's id even when the holder committed after this
-- statement's snapshot, so a duplicate never comes back empty. Only keyed rows are returned: the
-- caller generated every other id. (A batch with both kinds fires the insert trigger twice, so
-- it may announce its queue in two notifications.)
-- $1 jobs: jsonb array of {id, payload, max_attempts, and when not default: name, priority,
--    run_at, delay_ms, backoff, idempotency_key, tenant}; run_at (absolute) wins over delay_ms
-- $2 queue: text
WITH input AS MATERIALIZED (
  -- jsonb_to_recordset reads a JSON null payload as SQL NULL; it is JSON null.
  SELECT t.id, $2::text AS queue, coalesce(t.name, 'default') AS name,
         coalesce(t.payload, 'null'::jsonb) AS payload, coalesce(t.priority, 0) AS priority,
         coalesce(t.run_at, now() + coalesce(t.delay_ms, 0) * interval '1 millisecond') AS run_at,
         t.max_attempts, t.backoff, t.idempotency_key, t.tenant
  FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, name text, payload jsonb, priority smallint, run_at timestamptz, delay_ms bigint,
    max_attempts integer, backoff jsonb, idempotency_key text, tenant text)
), plain AS (
  INSERT INTO {{schema}}.jobs
    (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant)
  SELECT id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant
  FROM input WHERE idempotency_key IS NULL
), keyed AS (
  INSERT INTO {{schema}}.jobs AS j
    (id, queue, name, payload, priority, run_at, max_attempts, backoff, idempotency_key, tenant)
  SELECT id, queue, name, payload, priority, run_at, max_attempts, backoff, idempotency_key, tenant
  FROM input WHERE idempotency_key IS NOT NULL
  ON CONFLICT (queue, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state IN ('pending', 'running')
    DO UPDATE SET idempotency_key = excluded.idempotency_key
  RETURNING j.id, j.idempotency_key
)
SELECT id, idempotency_key FROM keyed
