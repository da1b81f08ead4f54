-- Completes many running jobs in one statement, storing each result. Fenced: a job completes only
-- if its lease token still matches, so a worker whose lease expired and was taken over, or whose
-- job was cancelled, cannot overwrite anything. Refused rows come back with ok = false and the
-- job's state. A completed job leaves the hot table for jobs_done (migration 0013), in this
-- statement; one that retains its idempotency key stays in jobs, completed in place (the key's
-- unique index is there), and so does a job of a flow (migration 0016), whose children whose
-- last parent this was become pending and are announced, in this statement. While someone
-- watches, emits `completed` events. A completion that names a queue to take from (`take_queue`:
-- a worker's, which holds the job's slot until this returns) hands that worker a child the job
-- released, if it is first in line (take_released(), migration 0020): the child comes back in the
-- `next_` columns, leased with the worker's `take_token`, and its handler starts without a claim
-- of its own. A completion retried because its reply was lost finds its job completed (refused)
-- and gets back the child its first attempt was handed, by that token, with its lease renewed.
-- $1 completions: jsonb array of
--    {id, token, result, take_queue?, take_worker?, take_lease_ms?, take_token?}
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS t(id uuid, token uuid, result jsonb, take_queue text, take_worker text,
         take_lease_ms integer, take_token uuid)
), moved AS (
  DELETE FROM {{schema}}.jobs AS j
  USING input
  -- By primary key, whatever the planner guesses about the input's size. A matching lease token
  -- means the job is running (constraint jobs_lease_iff_running), so state is not tested: that
  -- would steer the planner to the index of all running jobs.
  WHERE j.id = ANY (ARRAY(SELECT id FROM input))
    AND j.id = input.id AND j.lease_token = input.token AND NOT j.key_retained
    AND j.flow_id IS NULL
  RETURNING j.*, input.result AS new_result
), filed AS (
  INSERT INTO {{schema}}.jobs_done
    (id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
     lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
     last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
     trace_context, key_retained, schedule, tick_at)
  SELECT id, queue, name, payload, 'completed', priority, run_at, attempts, max_attempts, backoff,
         NULL, NULL, worker_id, heartbeat_at, idempotency_key, tenant, new_result,
         last_error, errors, created_at, started_at, now(), now(), progress, logs,
         trace_context, key_retained, schedule, tick_at
  FROM moved
  RETURNING id, queue, attempts, finished_at
), kept AS (
  UPDATE {{schema}}.jobs AS j
  SET state = 'completed',
      result = input.result,
      lease_token = NULL,
      lease_expires_at = NULL,
      finished_at = now(),
      updated_at = now()
  FROM input
  WHERE j.id = ANY (ARRAY(SELECT id FROM input))
    AND j.id = input.id AND j.lease_token = input.token
    AND (j.key_retained OR j.flow_id IS NOT NULL)
  RETURNING j.id, j.queue, j.attempts, j.finished_at, j.flow_id, j.has_children
), done AS (
  SELECT * FROM filed UNION ALL SELECT id, queue, attempts, finished_at FROM kept
), dependents AS MATERIALIZED (
  -- Children of the completed jobs of flows and of those marked as parents; none called else.
  SELECT CASE WHEN cardinality(parents) = 0 THEN 0
              ELSE {{schema}}.settle_dependents(parents, 'completed') END AS released
  FROM (SELECT ARRAY(SELECT id FROM moved WHERE has_children
                     UNION ALL
                     SELECT id FROM kept WHERE flow_id IS NOT NULL OR has_children) AS parents)
    AS p
), taken AS MATERIALIZED (
  -- After the children are released (the released count feeds the call, so it runs after it),
  -- each asking completion's first child in line is leased to its worker.
  SELECT input.id AS parent, t.*,
         t.flow_id IS NOT NULL OR t.has_children AS may_release
  FROM dependents AS dp
  CROSS JOIN input
  JOIN done ON done.id = input.id
  CROSS JOIN LATERAL {{schema}}.take_released(
    CASE WHEN dp.released > 0 THEN ARRAY[input.id] END, input.take_queue, input.take_lease_ms,
    input.take_worker, input.take_token) AS t
  WHERE dp.released > 0 AND input.take_queue IS NOT NULL
), recovered AS MATERIALIZED (
  -- A retried completion whose first attempt committed: the child it was handed, still running
  -- under the worker's token, its lease renewed from now (the worker counts it from this
  -- attempt). By the parent's dependencies, then the token.
  UPDATE {{schema}}.jobs AS c
  SET lease_expires_at = clock_timestamp() + input.take_lease_ms * interval '1 millisecond',
      heartbeat_at = clock_timestamp()
  FROM input
  JOIN {{schema}}.job_deps AS d ON d.parent = input.id
  WHERE input.take_token IS NOT NULL AND c.id = d.child AND c.lease_token = input.take_token
    AND c.state = 'running' AND NOT EXISTS (SELECT 1 FROM done WHERE done.id = input.id)
  RETURNING input.id AS parent, c.*, c.flow_id IS NOT NULL OR c.has_children AS may_release
), handed AS (
  SELECT * FROM taken UNION ALL SELECT * FROM recovered
), freed AS MATERIALIZED (
  -- A finished running job frees a slot of a queue with a concurrency limit: announce it.
  -- Called only when such a queue is among them (a concurrency limit, or fair: group limits
  -- hold only for a fair queue): the call costs as much as the rest of a one-job completion.
  SELECT CASE WHEN EXISTS (
           SELECT 1 FROM {{schema}}.queues AS q
           WHERE q.name IN (SELECT queue FROM done)
             AND (q.concurrency_limit IS NOT NULL OR q.fair_tenants))
         THEN {{schema}}.announce_freed(ARRAY(SELECT DISTINCT queue FROM done)) ELSE 0 END
         AS freed
), events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'completed', 'id', id, 'queue', queue, 'attempt', attempts, 'at', finished_at))) END
  FROM done
  WHERE {{schema}}.events_watched()
)
-- Only refused rows are looked up again, by primary key (a join would scan the table).
SELECT input.id, done.id IS NOT NULL AS ok,
       CASE WHEN done.id IS NULL
         THEN {{schema}}.job_state(input.id) END
         AS current_state,
       freed.freed,
       n.id AS next_id, n.queue AS next_queue, n.name AS next_name, n.payload AS next_payload,
       n.priority AS next_priority, n.run_at AS next_run_at, n.attempts AS next_attempts,
       n.max_attempts AS next_max_attempts, n.backoff AS next_backoff,
       n.lease_token AS next_lease_token, n.lease_expires_at AS next_lease_expires_at,
       n.worker_id AS next_worker_id, n.idempotency_key AS next_idempotency_key,
       n.tenant AS next_tenant, n.last_error AS next_last_error, n.created_at AS next_created_at,
       n.started_at AS next_started_at, n.trace_context AS next_trace_context,
       n.schedule AS next_schedule, n.tick_at AS next_tick_at,
       n.may_release AS next_may_release
FROM input
CROSS JOIN events
CROSS JOIN freed
CROSS JOIN dependents
LEFT JOIN done ON done.id = input.id
LEFT JOIN handed AS n ON n.parent = input.id
