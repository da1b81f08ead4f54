-- Retention: deletes up to $4 finished jobs whose retention ran out, oldest first, copying into
-- jobs_archive first those whose mode is archive. A queue with a stored retention policy
-- (queues.retention: completedMs, deadMs, cancelledMs, mode) keeps its jobs as that says; the
-- rest of its policy, and every other queue, follow $2 and $5. Bounded so that one statement
-- never holds many locks or writes a huge transaction; the caller loops until one comes back
-- short. Whole partitions of jobs_done go first, by drop_done_partitions.sql; this statement
-- deletes row by row only what is left: dead jobs (in the jobs table), the jobs of finished flows
-- (in the jobs table, a flow at a time), and finished jobs that a queue's shorter policy wants
-- gone before their partition may be dropped.
-- One batch at a time in the whole schema: the statement first tries a transaction-level
-- advisory lock (released when it commits, so no connection is held between batches, and a
-- transaction-mode pooler in between changes nothing); without it, it does nothing and says
-- `skipped`: another process is pruning.
-- $1 states: text[], which finished states to prune
-- $2 older_than_ms: bigint, the default retention
-- $3 queue: text, or NULL for every queue
-- $4 limit: integer
-- $5 archive: boolean, the default mode
-- $6 lock_name: text, 'pgpulse.retention.' followed by the schema name
-- $7 whole_partitions: boolean; when true, completed and cancelled jobs whose retention is the
--    longest (the one drop_done_partitions.sql drops by) wait for their partition to be dropped
--    instead of going one by one; those in the DEFAULT partition, never dropped, still go
WITH lead AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtextextended($6, 0)) AS leader
), policy AS MATERIALIZED (
  SELECT name, retention FROM {{schema}}.queues WHERE retention IS NOT NULL
), bound AS MATERIALIZED (
  -- Nothing finished after this can be due, whatever its queue's policy: the index range.
  SELECT now() - least($2::bigint, min(least((retention ->> 'completedMs')::bigint,
                                             (retention ->> 'deadMs')::bigint,
                                             (retention ->> 'cancelledMs')::bigint)))
         * interval '1 millisecond' AS finished_before
  FROM policy
), longest AS MATERIALIZED (
  -- The retention partitions are dropped by (as in drop_done_partitions.sql).
  SELECT greatest($2::bigint, max((retention ->> 'completedMs')::bigint),
                  max((retention ->> 'cancelledMs')::bigint)) AS ms
  FROM {{schema}}.queues
), doomed AS MATERIALIZED (
  -- Dead jobs, and finished ones that retain their key, are in the jobs table.
  SELECT j.id, coalesce(p.retention ->> 'mode', CASE WHEN $5 THEN 'archive' END) = 'archive'
           AS archive
  FROM {{schema}}.jobs AS j
  LEFT JOIN policy AS p ON p.name = j.queue
  WHERE j.state IN ('completed', 'dead', 'cancelled') AND j.state = ANY ($1::text[])
    AND j.finished_at < (SELECT finished_before FROM bound)
    AND j.finished_at < now() - coalesce((p.retention ->> (j.state || 'Ms'))::bigint, $2)
                                * interval '1 millisecond'
    AND ($3::text IS NULL OR j.queue = $3)
    AND (SELECT leader FROM lead)
    -- A flow's jobs (which stay in this table: migration 0016) go as one unit: none before the
    -- whole flow has finished, and its last job longer ago than this one's policy. One probe of
    -- jobs_flow_idx, whose first entry is an unfinished job (NULL) if any, else the latest finish.
    AND (j.flow_id IS NULL
         OR (SELECT f.finished_at FROM {{schema}}.jobs AS f
             WHERE f.flow_id = j.flow_id ORDER BY f.finished_at DESC LIMIT 1)
            < now() - coalesce((p.retention ->> (j.state || 'Ms'))::bigint, $2)
                      * interval '1 millisecond')
  ORDER BY j.finished_at
  LIMIT $4
  FOR UPDATE OF j SKIP LOCKED
), doomed_done AS MATERIALIZED (
  -- Completed and cancelled jobs in jobs_done that a shorter policy wants gone before their
  -- partition can be dropped (drop_done_partitions.sql), and those in its DEFAULT partition.
  SELECT d.id, d.finished_at,
         coalesce(p.retention ->> 'mode', CASE WHEN $5 THEN 'archive' END) = 'archive' AS archive
  FROM {{schema}}.jobs_done AS d
  LEFT JOIN policy AS p ON p.name = d.queue
  WHERE d.state = ANY ($1::text[])
    AND d.finished_at < (SELECT finished_before FROM bound)
    AND d.finished_at < now() - coalesce((p.retention ->> (d.state || 'Ms'))::bigint, $2)
                                * interval '1 millisecond'
    AND (NOT $7::boolean
         OR coalesce((p.retention ->> (d.state || 'Ms'))::bigint, $2) < (SELECT ms FROM longest)
         OR d.tableoid = '{{schema}}.jobs_done_default'::regclass)
    AND ($3::text IS NULL OR d.queue = $3)
    AND (SELECT leader FROM lead)
  ORDER BY d.finished_at
  LIMIT $4
  FOR UPDATE OF d SKIP LOCKED
), deleted AS (
  DELETE FROM {{schema}}.jobs AS j
  WHERE j.id = ANY (ARRAY(SELECT id FROM doomed))
  RETURNING j.*
), edges AS (
  -- The dependencies of pruned jobs go with them.
  DELETE FROM {{schema}}.job_deps WHERE child = ANY (ARRAY(SELECT id FROM deleted))
), deleted_done AS (
  DELETE FROM {{schema}}.jobs_done AS d
  USING doomed_done AS x
  WHERE d.id = x.id AND d.finished_at = x.finished_at
  RETURNING d.*
), archived AS (
  INSERT INTO {{schema}}.jobs_archive
    (id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
     lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
     last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
     trace_context, key_retained, schedule, tick_at)
  SELECT d.id, d.queue, d.name, d.payload, d.state, d.priority, d.run_at, d.attempts,
         d.max_attempts, d.backoff, d.lease_token, d.lease_expires_at, d.worker_id,
         d.heartbeat_at, d.idempotency_key, d.tenant, d.result, d.last_error, d.errors,
         d.created_at, d.started_at, d.finished_at, d.updated_at, d.progress, d.logs,
         d.trace_context, d.key_retained, d.schedule, d.tick_at
  FROM (SELECT d.*, doomed.archive FROM deleted AS d JOIN doomed ON doomed.id = d.id
        UNION ALL
        SELECT d.*, x.archive FROM deleted_done AS d JOIN doomed_done AS x ON x.id = d.id) AS d
  WHERE d.archive
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
SELECT (SELECT count(*) FROM deleted) + (SELECT count(*) FROM deleted_done) AS deleted,
       (SELECT count(*) FROM archived) AS archived,
       NOT (SELECT leader FROM lead) AS skipped
