-- Every job of a flow (they stay in the jobs table until retention prunes the flow), oldest
-- first, each with its parents: their ids, the policy of each edge, and how each settled.
-- $1 flow: uuid
SELECT j.id, j.queue, j.name, j.state, j.attempts, j.waiting_parents, j.created_at,
       j.started_at, j.finished_at, j.last_error ->> 'message' AS error,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.parent, 'onFailure', d.on_failure,
                                                     'outcome', d.outcome) ORDER BY d.parent)
                 FROM {{schema}}.job_deps AS d WHERE d.child = j.id), '[]') AS parents
FROM {{schema}}.jobs AS j
WHERE j.flow_id = $1
ORDER BY j.id
