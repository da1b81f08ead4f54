-- Appends a message to a running job's log, fenced by its lease token, keeping the newest $4
-- entries. A refused call comes back with ok = false and the job's state.
-- $1 id: uuid
-- $2 token: uuid, the lease token
-- $3 message: text
-- $4 keep: integer, how many entries a job keeps
WITH done AS (
  UPDATE {{schema}}.jobs
  SET logs = {{schema}}.append_error(
        coalesce(logs, '[]'::jsonb),
        jsonb_build_object('message', $3::text, 'attempt', attempts, 'at', now()),
        $4),
      updated_at = now()
  WHERE id = $1 AND lease_token = $2
  RETURNING id
)
SELECT (SELECT count(*) FROM done) > 0 AS ok,
       {{schema}}.job_state($1) AS current_state
