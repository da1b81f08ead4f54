-- Saves the override of one group's limits (only keys present in $3 change; JSON null clears
-- one), creating the queue's settings row if it has none. A queue with group limits is fair, so
-- this turns fairness on and files the queue's jobs without a tenant under '' (fair claims walk
-- tenants). A new rate limit starts with a full bucket. Consumers hear of it on the jobs channel.
-- $1 queue: text
-- $2 key: text, the group (a job's tenant)
-- $3 override: jsonb with any of concurrency_limit, rate_limit, rate_period_ms
WITH queue_row AS (
  INSERT INTO {{schema}}.queues (name, fair_tenants, group_overrides) VALUES ($1, true, true)
  ON CONFLICT (name) DO UPDATE SET fair_tenants = true, group_overrides = true, updated_at = now()
  RETURNING name
), saved AS (
  INSERT INTO {{schema}}.job_groups AS g (queue, key, concurrency_limit, rate_limit, rate_period_ms)
  SELECT name, $2, ($3::jsonb ->> 'concurrency_limit')::integer,
         ($3::jsonb ->> 'rate_limit')::integer, ($3::jsonb ->> 'rate_period_ms')::integer
  FROM queue_row
  ON CONFLICT (queue, key) DO UPDATE SET
    concurrency_limit = CASE WHEN $3::jsonb ? 'concurrency_limit'
                          THEN excluded.concurrency_limit ELSE g.concurrency_limit END,
    rate_limit = CASE WHEN $3::jsonb ? 'rate_limit' THEN excluded.rate_limit ELSE g.rate_limit END,
    rate_period_ms = CASE WHEN $3::jsonb ? 'rate_limit'
                       THEN excluded.rate_period_ms ELSE g.rate_period_ms END,
    rate_tokens = CASE WHEN $3::jsonb ? 'rate_limit' THEN NULL ELSE g.rate_tokens END,
    rate_updated_at = CASE WHEN $3::jsonb ? 'rate_limit' THEN NULL ELSE g.rate_updated_at END,
    updated_at = now()
  RETURNING g.queue, g.key
), filed AS (
  UPDATE {{schema}}.jobs SET tenant = ''
  WHERE queue = $1 AND state IN ('pending', 'running', 'dead') AND tenant IS NULL
  RETURNING 1
), control AS (
  SELECT {{schema}}.announce_control(queue) FROM saved
)
SELECT saved.*, (SELECT count(*) FROM filed) AS filed, (SELECT count(*) FROM control) AS announced
FROM saved
