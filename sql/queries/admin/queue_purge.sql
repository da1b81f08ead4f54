-- Deletes a queue's jobs in the given states (never running ones: their workers hold them).
-- While someone watches, nothing is emitted: a purge is an operator's act, not a job's life.
-- $1 name: text
-- $2 states: text[], among pending, completed, dead and cancelled
WITH purged AS (
  DELETE FROM {{schema}}.jobs
  WHERE queue = $1 AND state = ANY ($2::text[]) AND state <> 'running'
  RETURNING state
)
SELECT state, count(*) AS count FROM purged GROUP BY state
