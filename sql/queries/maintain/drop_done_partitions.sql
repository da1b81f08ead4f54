-- Retention's cheap part: drops the partitions of jobs_done whose whole range is older than every
-- queue's retention of completed and cancelled jobs allows (their stored policies, else $1),
-- archiving first the rows of queues whose mode is archive (their policy, else $2), and makes
-- sure the partitions ahead exist. One process at a time (the retention lock, held for this
-- statement's transaction); without it, nothing happens and `skipped` says so.
-- $1 older_than_ms: bigint, the default retention
-- $2 archive: boolean, the default mode
-- $3 lock_name: text, 'pgpulse.retention.' followed by the schema name
WITH lead AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtextextended($3, 0)) AS leader
), horizon AS MATERIALIZED (
  SELECT now() - greatest($1::bigint,
                          max((retention ->> 'completedMs')::bigint),
                          max((retention ->> 'cancelledMs')::bigint))
         * interval '1 millisecond' AS before
  FROM {{schema}}.queues
), dropped AS MATERIALIZED (
  SELECT d.* FROM lead, horizon,
  LATERAL {{schema}}.drop_done_partitions(horizon.before, $2::boolean) AS d
  WHERE lead.leader
), ahead AS MATERIALIZED (
  SELECT {{schema}}.ensure_done_partitions() AS made FROM lead WHERE lead.leader
)
SELECT coalesce((SELECT partitions FROM dropped), 0) AS partitions,
       coalesce((SELECT rows_dropped FROM dropped), 0) AS deleted,
       coalesce((SELECT rows_archived FROM dropped), 0) AS archived,
       coalesce((SELECT made FROM ahead), 0) AS made,
       NOT (SELECT leader FROM lead) AS skipped
