-- Inserts one job without an idempotency key: the lean path of `send`, with plain parameters
-- (no JSON array to parse, no conflict handling). The insert trigger announces it as usual.
-- $1 id: uuid
-- $2 queue: text
-- $3 name: text
-- $4 payload: jsonb (JSON text)
-- $5 priority: smallint
-- $6 run_at: timestamptz, or NULL to use $7
-- $7 delay_ms: bigint, or NULL for now
-- $8 max_attempts: integer
-- $9 backoff: jsonb (JSON text), or NULL
-- $10 tenant: text, or NULL
INSERT INTO {{schema}}.jobs
  (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant)
VALUES
  ($1, $2, $3, $4::jsonb, $5,
   coalesce($6::timestamptz, now() + coalesce($7::bigint, 0) * interval '1 millisecond'),
   $8, $9::jsonb, $10)
