-- Inserts a batch of jobs into one queue in one statement. A job whose idempotency key is held by
-- an unfinished job of the queue is not inserted; the no-op DO UPDATE makes the statement return
-- the holder's id even when the holder committed after this statement's snapshot, so a duplicate
-- never comes back empty. Only keyed rows are returned: the caller generated every other id.
-- $1 jobs: jsonb array of {id, name, payload, priority, run_at, delay_ms, max_attempts, backoff,
--    idempotency_key, tenant}; run_at (absolute) wins over delay_ms (relative to now())
-- $2 queue: text
WITH inserted AS (
  INSERT INTO {{schema}}.jobs AS j
    (id, queue, name, payload, priority, run_at, max_attempts, backoff, idempotency_key, tenant)
  -- jsonb_to_recordset reads a JSON null payload as SQL NULL; it is JSON null.
  SELECT t.id, $2, t.name, coalesce(t.payload, 'null'::jsonb), t.priority,
         coalesce(t.run_at, now() + coalesce(t.delay_ms, 0) * interval '1 millisecond'),
         t.max_attempts, t.backoff, t.idempotency_key, t.tenant
  FROM jsonb_to_recordset($1::jsonb) AS t(
    id uuid, name text, payload jsonb, priority smallint, run_at timestamptz, delay_ms bigint,
    max_attempts integer, backoff jsonb, idempotency_key text, tenant text)
  ON CONFLICT (queue, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state IN ('pending', 'running')
    DO UPDATE SET idempotency_key = excluded.idempotency_key
  RETURNING j.id, j.idempotency_key
)
SELECT id, idempotency_key FROM inserted WHERE idempotency_key IS NOT NULL
