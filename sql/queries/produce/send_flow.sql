-- Inserts the jobs of a flow with their dependencies, or one job depending on jobs sent before, in
-- one statement: insert_flow() (migration 0016) locks the parents sent before, refuses an unknown
-- or pruned one with PQ002 (nothing written), inserts jobs with parents as waiting and the others
-- as pending, announces these, and settles the dependencies on parents that had settled already.
-- $1 flow: uuid, the new flow's id
-- $2 inherit: boolean, join the flow of the first parent sent before that has one
-- $3 nodes: jsonb array of {id, queue, payload, parents, and when set: name, priority, run_at,
--    delay_ms, max_attempts, backoff, tenant, trace_context}
-- $4 edges: jsonb array of {child, parent, on_failure}
-- $5 outside: uuid[], the parents sent before
-- $6 default_max_attempts: integer, the client's default, after the queue's stored one
SELECT {{schema}}.insert_flow($1::uuid, $2::boolean, $3::jsonb, $4::jsonb, $5::uuid[], $6::integer)
  AS flow_id
