-- Saves a queue's settings: creates its row, or applies the given settings to the row it has
-- (idempotent, so a deploy script may run it every time). Only keys present in $2 change; a key
-- whose value is JSON null clears that setting. A new rate limit starts with a full bucket.
-- Turning fairness on files the queue's unfinished and dead jobs without a tenant under '' (fair
-- claims walk tenants). Group settings (migration 0017) make the queue fair, and keep it so while
-- any is set (here or as a group's override). Every consumer of the queue hears of the change on
-- the jobs channel.
-- $1 name: text
-- $2 settings: jsonb with any of lease_ms, max_attempts, backoff, concurrency_limit, rate_limit,
--    rate_period_ms, fair_tenants, retention, group_concurrency_limit, group_rate_limit,
--    group_rate_period_ms, group_fifo
-- $3 must_exist: boolean, true to change an existing queue only (no row comes back otherwise)
WITH saved AS (
  INSERT INTO {{schema}}.queues AS q
    (name, lease_ms, max_attempts, backoff, concurrency_limit, rate_limit, rate_period_ms,
     fair_tenants, retention, group_concurrency_limit, group_rate_limit, group_rate_period_ms,
     group_fifo)
  SELECT $1, ($2::jsonb ->> 'lease_ms')::integer, ($2::jsonb ->> 'max_attempts')::integer,
         nullif($2::jsonb -> 'backoff', 'null'), ($2::jsonb ->> 'concurrency_limit')::integer,
         ($2::jsonb ->> 'rate_limit')::integer, ($2::jsonb ->> 'rate_period_ms')::integer,
         coalesce(($2::jsonb ->> 'fair_tenants')::boolean, false)
           OR ($2::jsonb ->> 'group_concurrency_limit') IS NOT NULL
           OR ($2::jsonb ->> 'group_rate_limit') IS NOT NULL
           OR coalesce(($2::jsonb ->> 'group_fifo')::boolean, false),
         nullif($2::jsonb -> 'retention', 'null'),
         ($2::jsonb ->> 'group_concurrency_limit')::integer,
         ($2::jsonb ->> 'group_rate_limit')::integer, ($2::jsonb ->> 'group_rate_period_ms')::integer,
         coalesce(($2::jsonb ->> 'group_fifo')::boolean, false)
  WHERE NOT $3 OR EXISTS (SELECT 1 FROM {{schema}}.queues WHERE name = $1)
  ON CONFLICT (name) DO UPDATE SET
    lease_ms = CASE WHEN $2::jsonb ? 'lease_ms' THEN excluded.lease_ms ELSE q.lease_ms END,
    max_attempts = CASE WHEN $2::jsonb ? 'max_attempts'
                     THEN excluded.max_attempts ELSE q.max_attempts END,
    backoff = CASE WHEN $2::jsonb ? 'backoff' THEN excluded.backoff ELSE q.backoff END,
    concurrency_limit = CASE WHEN $2::jsonb ? 'concurrency_limit'
                          THEN excluded.concurrency_limit ELSE q.concurrency_limit END,
    rate_limit = CASE WHEN $2::jsonb ? 'rate_limit' THEN excluded.rate_limit ELSE q.rate_limit END,
    rate_period_ms = CASE WHEN $2::jsonb ? 'rate_limit'
                       THEN excluded.rate_period_ms ELSE q.rate_period_ms END,
    rate_tokens = CASE WHEN $2::jsonb ? 'rate_limit' THEN NULL ELSE q.rate_tokens END,
    rate_updated_at = CASE WHEN $2::jsonb ? 'rate_limit' THEN NULL ELSE q.rate_updated_at END,
    fair_tenants = CASE WHEN $2::jsonb ? 'fair_tenants'
                     THEN excluded.fair_tenants ELSE q.fair_tenants END
      OR CASE WHEN $2::jsonb ? 'group_concurrency_limit'
           THEN excluded.group_concurrency_limit ELSE q.group_concurrency_limit END IS NOT NULL
      OR CASE WHEN $2::jsonb ? 'group_rate_limit'
           THEN excluded.group_rate_limit ELSE q.group_rate_limit END IS NOT NULL
      OR CASE WHEN $2::jsonb ? 'group_fifo' THEN excluded.group_fifo ELSE q.group_fifo END
      OR q.group_overrides,
    group_concurrency_limit = CASE WHEN $2::jsonb ? 'group_concurrency_limit'
      THEN excluded.group_concurrency_limit ELSE q.group_concurrency_limit END,
    group_rate_limit = CASE WHEN $2::jsonb ? 'group_rate_limit'
      THEN excluded.group_rate_limit ELSE q.group_rate_limit END,
    group_rate_period_ms = CASE WHEN $2::jsonb ? 'group_rate_limit'
      THEN excluded.group_rate_period_ms ELSE q.group_rate_period_ms END,
    group_fifo = CASE WHEN $2::jsonb ? 'group_fifo' THEN excluded.group_fifo ELSE q.group_fifo END,
    retention = CASE WHEN $2::jsonb ? 'retention' THEN excluded.retention ELSE q.retention END,
    updated_at = now()
  RETURNING q.*
), filed AS (
  -- Every job that is or may become pending again: running ones return when released, retried
  -- or swept, dead ones when redriven; fair claims would never find them under a null tenant.
  UPDATE {{schema}}.jobs SET tenant = ''
  WHERE queue = $1 AND state IN ('pending', 'running', 'dead') AND tenant IS NULL
    AND coalesce((SELECT fair_tenants FROM saved), false)
  RETURNING 1
), control AS (
  SELECT {{schema}}.announce_control(name) FROM saved
)
SELECT saved.*, (SELECT count(*) FROM filed) AS filed, (SELECT count(*) FROM control) AS announced
FROM saved
