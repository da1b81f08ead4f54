-- Deletes one job, from whichever table holds it, if it is finished (completed, dead, cancelled)
-- or pending outside any flow; a running job is cancelled instead (its handler holds it), and a
-- flow's unfinished job too (its children wait on it). Returns the job's state and whether it
-- was deleted; no row for an unknown id.
-- $1 id: uuid
WITH target AS (
  SELECT id, state FROM {{schema}}.jobs WHERE id = $1
  UNION ALL
  SELECT id, state FROM {{schema}}.jobs_done WHERE id = $1
), hot AS (
  DELETE FROM {{schema}}.jobs
  WHERE id = $1
    AND (state IN ('completed', 'dead', 'cancelled')
         OR (state = 'pending' AND flow_id IS NULL AND NOT has_children))
  RETURNING id
), done AS (
  DELETE FROM {{schema}}.jobs_done WHERE id = $1 RETURNING id
)
SELECT t.state, (SELECT count(*) FROM hot) + (SELECT count(*) FROM done) > 0 AS deleted
FROM target AS t
LIMIT 1
