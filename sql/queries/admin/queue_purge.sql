-- Deletes a queue's jobs in the given states (never running ones: their workers hold them), from
-- the jobs table and, for completed and cancelled jobs, jobs_done. While someone watches, nothing
-- is emitted: a purge is an operator's act, not a job's life. Children of purged pending jobs
-- (waiting, here or in other queues) are settled as if their parents were cancelled (migration 0016).
-- $1 name: text
-- $2 states: text[], among pending, completed, dead and cancelled
WITH purged AS (
  DELETE FROM {{schema}}.jobs
  WHERE queue = $1 AND state = ANY ($2::text[]) AND state <> 'running'
  RETURNING id, state
), purged_done AS (
  DELETE FROM {{schema}}.jobs_done
  WHERE queue = $1 AND state = ANY ($2::text[])
  RETURNING state
), dependents AS MATERIALIZED (
  SELECT {{schema}}.settle_dependents(ARRAY(SELECT id FROM purged WHERE state = 'pending'),
                                      'cancelled') AS released
)
SELECT state, count(*) AS count
FROM (SELECT state FROM purged UNION ALL SELECT state FROM purged_done) AS both_tables
CROSS JOIN dependents
GROUP BY state
