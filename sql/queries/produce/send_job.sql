-- Inserts one job without an idempotency key: the lean path of `send`, with plain parameters
-- (no JSON array to parse, no conflict handling). Unset options take the queue's stored defaults,
-- then the client's; a fair queue files a job without a tenant under ''. The insert trigger
-- announces it as usual.
-- $1 id: uuid
-- $2 queue: text
-- $3 name: text
-- $4 payload: jsonb (JSON text)
-- $5 priority: smallint
-- $6 run_at: timestamptz, or NULL to use $7
-- $7 delay_ms: bigint, or NULL for now
-- $8 max_attempts: integer, or NULL for the queue's or the client's default
-- $9 backoff: jsonb (JSON text), or NULL for the queue's
-- $10 tenant: text, or NULL
-- $11 trace_context: jsonb (JSON text), or NULL
-- $12 default_max_attempts: integer, the client's default
WITH settings AS MATERIALIZED (
  SELECT max_attempts, backoff, fair_tenants FROM {{schema}}.queues WHERE name = $2
)
INSERT INTO {{schema}}.jobs
  (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant, trace_context)
SELECT $1, $2, $3, $4::jsonb, $5,
       coalesce($6::timestamptz, now() + coalesce($7::bigint, 0) * interval '1 millisecond'),
       coalesce($8::integer, (SELECT max_attempts FROM settings), $12::integer),
       coalesce($9::jsonb, (SELECT backoff FROM settings)),
       coalesce($10::text, CASE WHEN (SELECT fair_tenants FROM settings) THEN '' END),
       $11::jsonb
