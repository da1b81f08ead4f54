-- pgpulse migration 0013: finished jobs leave the hot table for a time-partitioned one.
--
-- A completed or cancelled job used to stay in `jobs`, updated in place, until retention deleted
-- it row by row. On a queue that runs for months the jobs table then held mostly finished rows:
-- its heap and indexes grew, every retention pass wrote a WAL record per deleted row and left
-- dead tuples for autovacuum, and the claim's heap pages were mostly finished jobs' (River,
-- graphile-worker and pg-boss users report the slowdowns). Now:
--
--   * `jobs` holds what may still run: pending, running and dead jobs (dead ones can be
--     redriven), and finished jobs that retain their idempotency key (the unique index that
--     enforces a retained key is on `jobs`). It stays as small as the work in flight.
--   * `jobs_done` holds completed and cancelled jobs, the same columns, partitioned by
--     `finished_at` into ranges of `partition_interval` (a day unless changed), with a DEFAULT
--     partition for anything outside the ranges created so far. Completing a job moves its row
--     in the same statement that fences it (DELETE from jobs, INSERT into jobs_done).
--   * Retention drops whole partitions once every queue's policy allows, and deletes row by row
--     only what a shorter policy wants earlier (never touching the hot table).
--
-- `jobs` and `jobs_done` must keep the same columns in the same order: a migration that adds a
-- column to one adds it to the other (test/unit/queries.test.ts reads both definitions from the
-- snapshot). This migration moves existing finished rows in one transaction: on a big table, run
-- it at a quiet time.

CREATE TABLE {{schema}}.jobs_done (LIKE {{schema}}.jobs INCLUDING DEFAULTS)
  PARTITION BY RANGE (finished_at);
ALTER TABLE {{schema}}.jobs_done
  ALTER COLUMN finished_at SET NOT NULL,
  ADD CONSTRAINT jobs_done_state_check CHECK (state IN ('completed', 'cancelled'));
-- getJob by id, and a queue's finished jobs in time order (listings, stats, per-queue retention).
CREATE INDEX jobs_done_id_idx ON {{schema}}.jobs_done (id);
CREATE INDEX jobs_done_queue_idx ON {{schema}}.jobs_done (queue, finished_at);
-- Retention's row-by-row part (oldest first), and the check that the DEFAULT partition holds no
-- row of a range about to get its own partition.
CREATE INDEX jobs_done_finished_idx ON {{schema}}.jobs_done (finished_at);
CREATE TABLE {{schema}}.jobs_done_default PARTITION OF {{schema}}.jobs_done DEFAULT;

-- How wide each partition is, and how far ahead partitions exist (kept by
-- ensure_done_partitions(), called by migrate, the sweeper and retention).
CREATE TABLE {{schema}}.partitioning (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  partition_interval interval NOT NULL DEFAULT interval '1 day'
    CHECK (partition_interval >= interval '1 minute'),
  ahead integer NOT NULL DEFAULT 2 CHECK (ahead BETWEEN 1 AND 100),
  -- Partitions exist for every finished_at before this.
  ready_until timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO {{schema}}.partitioning DEFAULT VALUES;

-- The start of the partition range holding `at`: ranges are aligned on the Unix epoch, in UTC.
CREATE FUNCTION {{schema}}.done_range_start(at timestamptz, width interval) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT to_timestamp(floor(extract(epoch FROM at) / extract(epoch FROM width))
                      * extract(epoch FROM width))
$$;

-- The partitions of jobs_done with their ranges (the DEFAULT partition has none).
CREATE FUNCTION {{schema}}.done_partitions(OUT rel regclass, OUT lower_bound timestamptz,
                                           OUT upper_bound timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT c.oid::regclass,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
  FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
  WHERE i.inhparent = '{{schema_name}}.jobs_done'::regclass
    AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
$$;

-- Creates the partitions of jobs_done from the one holding now() up to `ahead` more, unless they
-- exist; one process at a time (an advisory lock). Cheap when nothing is missing: one row read.
-- A range whose rows already sit in the DEFAULT partition is left to it (creating it would fail):
-- those rows are pruned row by row instead. Returns how many partitions it created.
-- It runs as the schema's owner (only the owner may add partitions): an application role with
-- grant()'s privileges calls it from its sweeper.
CREATE FUNCTION {{schema}}.ensure_done_partitions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p {{schema}}.partitioning%ROWTYPE;
  low timestamptz;
  high timestamptz;
  target timestamptz;
  made integer := 0;
  name text;
BEGIN
  SELECT * INTO p FROM {{schema}}.partitioning;
  IF p.ready_until > now() + p.partition_interval THEN
    RETURN 0;
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtextextended('pgpulse.partitions.{{schema_name}}', 0)) THEN
    RETURN 0; -- another process is at it
  END IF;
  low := {{schema}}.done_range_start(now(), p.partition_interval);
  target := low + p.partition_interval * (p.ahead + 1);
  WHILE low < target LOOP
    high := low + p.partition_interval;
    name := 'jobs_done_' || to_char(low AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
    -- Skipped when a partition already covers part of the range (made with another width), or
    -- when the DEFAULT partition holds rows of it.
    IF NOT EXISTS (SELECT 1 FROM {{schema}}.done_partitions() AS b
                   WHERE b.lower_bound < high AND b.upper_bound > low)
       AND NOT EXISTS (SELECT 1 FROM {{schema}}.jobs_done_default
                       WHERE finished_at >= low AND finished_at < high) THEN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.jobs_done FOR VALUES FROM (%L) TO (%L)',
                     '{{schema_name}}', name, '{{schema_name}}', low, high);
      made := made + 1;
    END IF;
    low := high;
  END LOOP;
  UPDATE {{schema}}.partitioning SET ready_until = target;
  RETURN made;
END
$$;

-- Drops the partitions whose whole range ended before `before`, first copying into jobs_archive
-- the rows of queues whose retention mode is `archive` (a queue's stored policy, else
-- `archive_by_default`). Returns how many partitions and rows went, and how many were archived.
-- Runs as the schema's owner, who alone may drop partitions.
CREATE FUNCTION {{schema}}.drop_done_partitions(before timestamptz, archive_by_default boolean,
                                                OUT partitions integer, OUT rows_dropped bigint,
                                                OUT rows_archived bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  part record;
  n bigint;
BEGIN
  partitions := 0;
  rows_dropped := 0;
  rows_archived := 0;
  FOR part IN SELECT b.rel, b.upper_bound FROM {{schema}}.done_partitions() AS b LOOP
    CONTINUE WHEN part.upper_bound IS NULL OR part.upper_bound > before;
    EXECUTE format(
      'INSERT INTO %I.jobs_archive (id, queue, name, payload, state, priority, run_at, attempts, '
      'max_attempts, backoff, lease_token, lease_expires_at, worker_id, heartbeat_at, '
      'idempotency_key, tenant, result, last_error, errors, created_at, started_at, '
      'finished_at, updated_at, progress, logs, trace_context, key_retained) '
      'SELECT d.id, d.queue, d.name, d.payload, d.state, d.priority, d.run_at, d.attempts, '
      'd.max_attempts, d.backoff, d.lease_token, d.lease_expires_at, d.worker_id, d.heartbeat_at, '
      'd.idempotency_key, d.tenant, d.result, d.last_error, d.errors, d.created_at, '
      'd.started_at, d.finished_at, d.updated_at, d.progress, d.logs, d.trace_context, '
      'd.key_retained FROM %s AS d LEFT JOIN %I.queues AS q ON q.name = d.queue '
      'WHERE coalesce(q.retention ->> ''mode'', CASE WHEN $1 THEN ''archive'' END) = ''archive'' '
      'ON CONFLICT (id) DO NOTHING',
      '{{schema_name}}', part.rel, '{{schema_name}}') USING archive_by_default;
    GET DIAGNOSTICS n = ROW_COUNT;
    rows_archived := rows_archived + n;
    EXECUTE format('SELECT count(*) FROM %s', part.rel) INTO n;
    rows_dropped := rows_dropped + n;
    EXECUTE format('DROP TABLE %s', part.rel);
    partitions := partitions + 1;
  END LOOP;
END
$$;

SELECT {{schema}}.ensure_done_partitions();

-- The finished rows already in `jobs` move over (a retained key's job stays, as its key's unique
-- index is there): into the partition of their finished_at, or the DEFAULT one for older rows,
-- which retention prunes row by row.
WITH moved AS (
  DELETE FROM {{schema}}.jobs
  WHERE state IN ('completed', 'cancelled') AND NOT key_retained
  RETURNING *
)
INSERT INTO {{schema}}.jobs_done SELECT * FROM moved;

-- The state of a job wherever it is (a refused fenced call reports it): `jobs`, then `jobs_done`.
CREATE FUNCTION {{schema}}.job_state(job_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT state FROM {{schema}}.jobs WHERE id = job_id),
                  (SELECT state FROM {{schema}}.jobs_done WHERE id = job_id))
$$;

-- Every job that is not archived, wherever it is, for whoever looks in with SQL (psql, a report,
-- a test): the jobs table and jobs_done, one after the other.
CREATE VIEW {{schema}}.all_jobs AS
  SELECT * FROM {{schema}}.jobs
  UNION ALL
  SELECT * FROM {{schema}}.jobs_done;
