-- The limits in force for groups of a queue (an override, else the queue's), each group's
-- override, and its running jobs (oldest first): the groups named in $2, or, with NULL, every
-- group that has an override. Running jobs are read through the queue's running jobs only.
-- $1 queue: text
-- $2 keys: text[], or NULL for every group with an override
WITH keys AS (
  SELECT k.key FROM unnest($2::text[]) AS k(key) WHERE $2::text[] IS NOT NULL
  UNION
  SELECT g.key FROM {{schema}}.job_groups AS g
  WHERE $2::text[] IS NULL AND g.queue = $1
    AND (g.concurrency_limit IS NOT NULL OR g.rate_limit IS NOT NULL)
)
SELECT k.key, l.concurrency_limit, l.rate_limit, l.rate_period_ms, coalesce(l.fifo, false) AS fifo,
       l.tokens, g.concurrency_limit AS override_concurrency_limit,
       g.rate_limit AS override_rate_limit, g.rate_period_ms AS override_rate_period_ms,
       ARRAY(SELECT j.id FROM {{schema}}.jobs AS j
             WHERE j.queue = $1 AND j.state = 'running' AND j.tenant = k.key
             ORDER BY j.started_at, j.id) AS running
FROM keys AS k
LEFT JOIN LATERAL {{schema}}.group_limits($1, k.key, now()) AS l ON true
LEFT JOIN {{schema}}.job_groups AS g ON g.queue = $1 AND g.key = k.key
ORDER BY k.key COLLATE "C"
