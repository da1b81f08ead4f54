-- Deletes a queue's jobs in the given states (never running ones: their workers hold them), from
-- the jobs table and, for completed and cancelled jobs, jobs_done. While someone watches, nothing
-- is emitted: a purge is an operator's act, not a job's life.
-- $1 name: text
-- $2 states: text[], among pending, completed, dead and cancelled
WITH purged AS (
  DELETE FROM {{schema}}.jobs
  WHERE queue = $1 AND state = ANY ($2::text[]) AND state <> 'running'
  RETURNING state
), purged_done AS (
  DELETE FROM {{schema}}.jobs_done
  WHERE queue = $1 AND state = ANY ($2::text[])
  RETURNING state
)
SELECT state, count(*) AS count
FROM (SELECT state FROM purged UNION ALL SELECT state FROM purged_done) AS both_tables
GROUP BY state
