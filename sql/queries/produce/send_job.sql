-- Inserts one job without an idempotency key: the lean path of `send`, with plain parameters
-- (no JSON array to parse, no conflict handling). Unset options take the queue's stored defaults,
-- then the client's; a fair queue files a job without a tenant under ''. The statement marks itself
-- as pgpulse's own (the insert triggers leave it alone: migration 0014) and announces the job,
-- and emits its `enqueued` event while someone watches.
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
WITH own AS MATERIALIZED (
  SELECT set_config('pgpulse.own_statement', statement_timestamp()::text, true) AS mark
), settings AS MATERIALIZED (
  SELECT max_attempts, backoff, fair_tenants FROM {{schema}}.queues WHERE name = $2
), inserted AS (
  INSERT INTO {{schema}}.jobs
    (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant, trace_context)
  SELECT $1, $2, $3, $4::jsonb, $5,
         coalesce($6::timestamptz, now() + coalesce($7::bigint, 0) * interval '1 millisecond'),
         coalesce($8::integer, (SELECT max_attempts FROM settings), $12::integer),
         coalesce($9::jsonb, (SELECT backoff FROM settings)),
         coalesce($10::text, CASE WHEN (SELECT fair_tenants FROM settings) THEN '' END),
         $11::jsonb
  -- Marked before the row goes in (an InitPlan, evaluated first).
  WHERE (SELECT mark FROM own) IS NOT NULL
  RETURNING id, queue, name, run_at, priority, tenant
), announced AS (
  SELECT {{schema}}.announce(queue, 1, run_at) FROM inserted
), events AS (
  -- Guarded: an aggregate over no rows still yields a row, and emit_enqueued(NULL) would run.
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_enqueued(jsonb_agg(to_jsonb(inserted))) END AS sent
  FROM inserted
  WHERE {{schema}}.events_watched()
)
SELECT (SELECT count(*) FROM announced) AS announced, (SELECT sent FROM events) AS events
