-- Removes the override of one group's limits: the queue's group limits apply to it again (its
-- token bucket, if any, is kept). Returns the group when it had an override, nothing otherwise.
-- $1 queue: text
-- $2 key: text
WITH cleared AS (
  UPDATE {{schema}}.job_groups
  SET concurrency_limit = NULL, rate_limit = NULL, rate_period_ms = NULL, updated_at = now()
  WHERE queue = $1 AND key = $2 AND (concurrency_limit IS NOT NULL OR rate_limit IS NOT NULL)
  RETURNING queue, key
), flagged AS (
  -- Whether another group of the queue keeps an override (this statement's change is not seen).
  UPDATE {{schema}}.queues AS q SET group_overrides = EXISTS (
    SELECT 1 FROM {{schema}}.job_groups AS g
    WHERE g.queue = $1 AND g.key <> $2 AND (g.concurrency_limit IS NOT NULL OR g.rate_limit IS NOT NULL))
  FROM cleared WHERE q.name = cleared.queue
  RETURNING 1
), control AS (
  SELECT {{schema}}.announce_control(queue) FROM cleared
)
SELECT cleared.*, (SELECT count(*) FROM control) AS announced FROM cleared
