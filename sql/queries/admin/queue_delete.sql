-- Deletes a queue: its settings row, its jobs (both tables) and its archived jobs. Refused while jobs of the
-- queue are running unless $2 (force): their workers would find them gone. Consumers hear of it.
-- $1 name: text
-- $2 force: boolean
WITH running AS MATERIALIZED (
  SELECT count(*) AS n FROM {{schema}}.jobs WHERE queue = $1 AND state = 'running'
), go AS MATERIALIZED (
  SELECT $2::boolean OR n = 0 AS ok FROM running
), jobs AS (
  DELETE FROM {{schema}}.jobs WHERE queue = $1 AND (SELECT ok FROM go) RETURNING 1
), finished AS (
  DELETE FROM {{schema}}.jobs_done WHERE queue = $1 AND (SELECT ok FROM go) RETURNING 1
), archived AS (
  DELETE FROM {{schema}}.jobs_archive WHERE queue = $1 AND (SELECT ok FROM go) RETURNING 1
), settings AS (
  DELETE FROM {{schema}}.queues WHERE name = $1 AND (SELECT ok FROM go) RETURNING 1
), control AS (
  SELECT {{schema}}.announce_control($1) WHERE (SELECT ok FROM go)
)
SELECT (SELECT ok FROM go) AS deleted, (SELECT n FROM running) AS running,
       (SELECT count(*) FROM jobs) + (SELECT count(*) FROM finished) AS jobs, (SELECT count(*) FROM archived) AS archived,
       (SELECT count(*) FROM settings) AS settings, (SELECT count(*) FROM control) AS announced
