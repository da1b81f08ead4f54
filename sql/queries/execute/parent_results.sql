-- A job's parents with their results, in one statement: its edges (by the primary key's prefix),
-- each parent read where it is (a flow's jobs stay in jobs; a parent sent outside any flow may
-- have moved to jobs_done). A parent retention removed comes back with a NULL state.
-- $1 child: uuid
SELECT d.parent AS id, d.on_failure, d.outcome, p.queue, p.name, p.state, p.result,
       p.last_error
FROM {{schema}}.job_deps AS d
LEFT JOIN LATERAL (
  SELECT queue, name, state, result, last_error FROM {{schema}}.jobs WHERE id = d.parent
  UNION ALL
  SELECT queue, name, state, result, last_error FROM {{schema}}.jobs_done WHERE id = d.parent
  LIMIT 1
) AS p ON true
WHERE d.child = $1
ORDER BY d.parent
