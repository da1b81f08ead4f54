-- The names of every queue that has settings or jobs, for the dashboard's overview. Each table's
-- distinct queues come from a loose index scan (one index probe per queue, not a scan of the
-- jobs), so the answer costs the same with ten jobs or ten million.
WITH RECURSIVE pending(queue) AS (
  SELECT min(queue) FROM {{schema}}.jobs WHERE state = 'pending'
  UNION ALL
  SELECT (SELECT min(j.queue) FROM {{schema}}.jobs AS j WHERE j.state = 'pending' AND j.queue > p.queue)
  FROM pending AS p WHERE p.queue IS NOT NULL
), dead(queue) AS (
  SELECT min(queue) FROM {{schema}}.jobs WHERE state = 'dead'
  UNION ALL
  SELECT (SELECT min(j.queue) FROM {{schema}}.jobs AS j WHERE j.state = 'dead' AND j.queue > d.queue)
  FROM dead AS d WHERE d.queue IS NOT NULL
), done(queue) AS (
  SELECT min(queue) FROM {{schema}}.jobs_done
  UNION ALL
  SELECT (SELECT min(j.queue) FROM {{schema}}.jobs_done AS j WHERE j.queue > d.queue)
  FROM done AS d WHERE d.queue IS NOT NULL
)
SELECT queue FROM pending WHERE queue IS NOT NULL
UNION SELECT queue FROM dead WHERE queue IS NOT NULL
UNION SELECT queue FROM done WHERE queue IS NOT NULL
UNION SELECT DISTINCT queue FROM {{schema}}.jobs WHERE state IN ('running', 'waiting')
UNION SELECT name FROM {{schema}}.queues
ORDER BY 1
