-- pgpulse migration 0015: recurring schedules (cron or a fixed interval), one row each.
-- compatible-with: 14
--
-- No process is "the scheduler". A schedule always has its next tick's job waiting in the jobs
-- table as an ordinary delayed job (schedules.next_tick_at says which tick), so the timers every
-- consumer arms for delayed jobs start it on time, and no poll looks for due schedules. When a
-- consumer claims that job it calls schedule_advance(), which inserts the job of the tick after
-- it (computed in TypeScript from the database's clock with the schedule's cron or interval) in
-- one transaction with moving next_tick_at on. A tick's job is unique however many processes
-- claim: only the claim of the tick next_tick_at names moves the schedule on (under the schedule
-- row's lock), and schedule_enqueue() never makes a tick that has or had a job (see the indexes
-- below). A job of a schedule carries the schedule's name and its tick; a job run by hand
-- (trigger) has the name and no tick.
--
-- Code of version 14 keeps working: it neither reads nor writes the new columns (so a tick's job
-- it completes reaches jobs_done without them), and it claims and runs a tick's job like any
-- other, without moving its schedule on; newer consumers find such a stalled schedule
-- (schedule_stalled.sql) and move it on.

CREATE TABLE {{schema}}.schedules (
  name          text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'),
  -- Where each tick's job goes, and what it is.
  queue         text        NOT NULL CHECK (queue ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'),
  job_name      text        NOT NULL DEFAULT 'default'
                            CHECK (job_name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'),
  payload       jsonb       NOT NULL DEFAULT 'null',
  -- The job options of each tick's job: {priority, maxAttempts, backoff, tenant}, each optional.
  job_options   jsonb       NOT NULL DEFAULT '{}',
  -- Exactly one of a cron expression (croner syntax, seconds optional) and an interval in ms.
  cron          text,
  every_ms      bigint      CHECK (every_ms >= 100),
  -- The IANA zone a cron expression is read in.
  timezone      text        NOT NULL DEFAULT 'UTC',
  -- 'allow': a tick runs even while the previous tick's job is unfinished; 'skip': it does not.
  overlap       text        NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
  -- Ticks missed while no process claimed: 'once' runs one job for them all, 'all' one per
  -- missed tick (the newest misfire_cap), 'skip' none.
  misfire       text        NOT NULL DEFAULT 'once' CHECK (misfire IN ('once', 'all', 'skip')),
  misfire_cap   integer     NOT NULL DEFAULT 100 CHECK (misfire_cap BETWEEN 1 AND 10000),
  -- No tick before starts_at (an interval counts from it) nor after ends_at; at most max_runs
  -- tick jobs in all.
  starts_at     timestamptz,
  ends_at       timestamptz,
  max_runs      bigint      CHECK (max_runs >= 1),
  -- Tick jobs made so far (skipped ones included), for max_runs.
  runs          bigint      NOT NULL DEFAULT 0,
  paused        boolean     NOT NULL DEFAULT false,
  -- The tick whose job waits in the jobs table; NULL while paused or once the schedule ended.
  next_tick_at  timestamptz,
  -- The latest tick whose job started (was claimed and not skipped), and that job; a job run by
  -- hand is the last job too.
  last_tick_at  timestamptz,
  last_job_id   uuid,
  -- Raised by every change of the definition; schedule_advance() refuses a stale computation.
  version       integer     NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schedules_cron_or_every CHECK ((cron IS NULL) <> (every_ms IS NULL))
);

-- The schedules of a queue: listing them, and a consumer's look for stalled ones.
CREATE INDEX schedules_queue_idx ON {{schema}}.schedules (queue);

ALTER TABLE {{schema}}.jobs
  -- The schedule that made the job, and the tick it is for (NULL for a job run by hand).
  ADD COLUMN schedule text,
  ADD COLUMN tick_at timestamptz;

-- jobs_done keeps the columns of jobs in their order (migration 0013); its partitions follow.
ALTER TABLE {{schema}}.jobs_done
  ADD COLUMN schedule text,
  ADD COLUMN tick_at timestamptz;

ALTER TABLE {{schema}}.jobs_archive
  ADD COLUMN schedule text,
  ADD COLUMN tick_at timestamptz;

-- Exactly one job per (schedule, tick). The unique index covers a tick's job in the jobs table
-- (pending, running, dead). One that completed or was cancelled has moved to jobs_done (migration
-- 0013), where no unique index spans the partitions: schedule_enqueue() refuses those ticks itself,
-- every tick up to last_tick_at (set under the schedule's row lock by each tick's claim, before it
-- runs) and any tick with a job in jobs_done (skipped, cancelled by hand), found by the second
-- index. Ticks only move forward, so a tick whose job retention removed is never made again.
CREATE UNIQUE INDEX jobs_schedule_tick_idx ON {{schema}}.jobs (schedule, tick_at)
  WHERE tick_at IS NOT NULL;
CREATE INDEX jobs_done_schedule_tick_idx ON {{schema}}.jobs_done (schedule, tick_at)
  WHERE tick_at IS NOT NULL;

-- The view of migration 0013 lists the columns jobs had then: again, with the new ones.
CREATE OR REPLACE VIEW {{schema}}.all_jobs AS
  SELECT * FROM {{schema}}.jobs
  UNION ALL
  SELECT * FROM {{schema}}.jobs_done;

-- drop_done_partitions() of migration 0013, archiving the new columns too.
CREATE OR REPLACE FUNCTION {{schema}}.drop_done_partitions(
  before timestamptz, archive_by_default boolean,
  OUT partitions integer, OUT rows_dropped bigint, OUT rows_archived bigint)
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
      'idempotency_key, tenant, result, last_error, errors, created_at, started_at, finished_at, '
      'updated_at, progress, logs, trace_context, key_retained, schedule, tick_at) '
      'SELECT d.id, d.queue, d.name, d.payload, d.state, d.priority, d.run_at, d.attempts, '
      'd.max_attempts, d.backoff, d.lease_token, d.lease_expires_at, d.worker_id, d.heartbeat_at, '
      'd.idempotency_key, d.tenant, d.result, d.last_error, d.errors, d.created_at, d.started_at, '
      'd.finished_at, d.updated_at, d.progress, d.logs, d.trace_context, d.key_retained, '
      'd.schedule, d.tick_at FROM %s AS d LEFT JOIN %I.queues AS q ON q.name = d.queue '
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

-- Inserts the jobs of some ticks of a schedule, due at their ticks (a NULL tick: a job run by
-- hand, due now), with the schedule's job and options (unset ones take the queue's stored
-- defaults, then `default_max_attempts`). A tick that already has a job, or had one (see the
-- indexes above), is left alone. Like pgpulse's send statements (migration 0014) the insert marks
-- itself as pgpulse's own, so the insert triggers leave it alone, and announces its jobs itself:
-- the due ones and those to come in separate notices, since a consumer arms its timer for the
-- next tick from the earliest run_at of a notice. While someone watches, each new job's
-- `enqueued` and `tick` events go out. Returns how many jobs were made.
-- It runs with its owner's rights (see the end of this file), so that setting a schedule needs
-- no INSERT on jobs: the admin set may make a schedule's jobs, not send jobs of its own.
CREATE FUNCTION {{schema}}.schedule_enqueue(
  schedule_name text, ticks timestamptz[], ids uuid[], default_max_attempts integer)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  made integer;
  notices integer;
  sent integer;
BEGIN
  -- The mark names the calling statement's start time, which the insert below (and its
  -- triggers) share, and no later statement of the transaction does.
  PERFORM set_config('pgpulse.own_statement', statement_timestamp()::text, true);
  WITH s AS MATERIALIZED (
    SELECT * FROM {{schema}}.schedules WHERE name = schedule_name
  ), settings AS MATERIALIZED (
    SELECT q.max_attempts, q.backoff, q.fair_tenants
    FROM {{schema}}.queues AS q JOIN s ON q.name = s.queue
  ), inserted AS (
    INSERT INTO {{schema}}.jobs AS j
      (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant, schedule,
       tick_at)
    SELECT t.id, s.queue, s.job_name, s.payload,
           coalesce((s.job_options ->> 'priority')::smallint, 0), coalesce(t.tick, now()),
           coalesce((s.job_options ->> 'maxAttempts')::integer,
                    (SELECT max_attempts FROM settings), default_max_attempts),
           coalesce(s.job_options -> 'backoff', (SELECT backoff FROM settings)),
           coalesce(s.job_options ->> 'tenant',
                    CASE WHEN (SELECT fair_tenants FROM settings) THEN '' END),
           s.name, t.tick
    FROM s CROSS JOIN unnest(ticks, ids) AS t(tick, id)
    WHERE t.tick IS NULL
       OR (t.tick > coalesce(s.last_tick_at, '-infinity')
           AND NOT EXISTS (SELECT 1 FROM {{schema}}.jobs_done AS d
                           WHERE d.schedule = s.name AND d.tick_at = t.tick))
    ON CONFLICT (schedule, tick_at) WHERE tick_at IS NOT NULL DO NOTHING
    RETURNING j.id, j.queue, j.name, j.run_at, j.priority, j.tenant, j.schedule, j.tick_at
  ), announced AS (
    SELECT {{schema}}.announce(queue, count(*), min(run_at))
    FROM inserted GROUP BY queue, run_at > now()
  ), events AS (
    SELECT {{schema}}.emit_enqueued(jsonb_agg(jsonb_build_object(
             'id', id, 'queue', queue, 'name', name, 'run_at', run_at, 'priority', priority,
             'tenant', tenant)))
           + {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
             'type', 'tick', 'id', id, 'queue', queue, 'schedule', schedule, 'tickAt', tick_at,
             'at', now()))) AS sent
    FROM inserted
    HAVING count(*) > 0 AND {{schema}}.events_watched()
  )
  SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM announced),
         (SELECT count(*) FROM events)
  INTO made, notices, sent;
  RETURN made;
END
$$;

-- What a claim of a schedule's job does to its schedule, under the schedule row's lock:
--  * the job is skipped (cancelled without running, `result` {"skipped": reason}) when it is the
--    waiting tick's job found after ticks were missed and the misfire policy is 'skip'
--    (`misfire_skip`), or when the schedule does not allow overlap and its last job is
--    unfinished;
--  * when it is the waiting tick's job (tick = next_tick_at), the jobs of `ticks` are inserted
--    (the missed ticks to run, then the next tick) and next_tick_at becomes `next_tick`; the caller
--    computed both from `version` of the schedule, and a schedule changed since gets 'conflict'
--    (the caller reads it again), as does a tick that is no longer the waiting one although the
--    caller thought so;
--  * a job that runs becomes the schedule's last job.
-- A caller that already started the job's handler (it read before that the schedule skips no
-- tick) passes `may_skip` false: the job then runs, even if the policy changed meanwhile.
-- `outcome` is 'run', 'skipped' (see `reason`) or 'conflict'; a job whose schedule was removed
-- runs. `made` is how many jobs were inserted. A consumer repairing a stalled schedule (its
-- waiting tick's job gone or finished without moving it on) calls it as the claim of that tick
-- would have, with the job's id or NULL and no token: nothing is cancelled then.
-- It runs with its owner's rights (like the insert trigger, migration 0011), so that a role
-- with the consume set moves schedules on without INSERT on jobs or UPDATE on schedules: it
-- presents the lease token of the claimed job, and inserts only the schedule's own jobs.
CREATE FUNCTION {{schema}}.schedule_advance(
  schedule_name text, job_id uuid, token uuid, tick timestamptz, read_version integer,
  ticks timestamptz[], ids uuid[], next_tick timestamptz, misfire_skip boolean,
  default_max_attempts integer, may_skip boolean,
  OUT outcome text, OUT reason text, OUT made integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s {{schema}}.schedules%ROWTYPE;
  waiting boolean;
  skipped_id uuid;
  skipped_queue text;
BEGIN
  made := 0;
  SELECT * INTO s FROM {{schema}}.schedules WHERE name = schedule_name FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'run';
    RETURN;
  END IF;
  waiting := s.next_tick_at IS NOT NULL AND s.next_tick_at = tick;
  IF (waiting AND s.version <> read_version)
     OR (NOT waiting AND (cardinality(ticks) > 0 OR misfire_skip)) THEN
    outcome := 'conflict';
    RETURN;
  END IF;
  IF may_skip AND waiting AND misfire_skip THEN
    reason := 'misfire';
  ELSIF may_skip AND s.overlap = 'skip' AND s.last_job_id IS DISTINCT FROM job_id AND EXISTS (
    SELECT 1 FROM {{schema}}.jobs AS j
    WHERE j.id = s.last_job_id AND j.state IN ('pending', 'running')) THEN
    reason := 'overlap';
  END IF;
  IF reason IS NOT NULL THEN
    -- Cancelled, it leaves the hot table for jobs_done as cancel_job.sql does (a schedule's job
    -- has no idempotency key).
    WITH moved AS (
      DELETE FROM {{schema}}.jobs
      WHERE id = job_id AND lease_token = token
      RETURNING *
    )
    INSERT INTO {{schema}}.jobs_done
      (id, queue, name, payload, state, priority, run_at, attempts, max_attempts, backoff,
       lease_token, lease_expires_at, worker_id, heartbeat_at, idempotency_key, tenant, result,
       last_error, errors, created_at, started_at, finished_at, updated_at, progress, logs,
       trace_context, key_retained, schedule, tick_at)
    SELECT id, queue, name, payload, 'cancelled', priority, run_at, attempts, max_attempts,
           backoff, NULL, NULL, worker_id, heartbeat_at, idempotency_key, tenant,
           jsonb_build_object('skipped', reason), last_error, errors, created_at, started_at,
           now(), now(), progress, logs, trace_context, key_retained, schedule, tick_at
    FROM moved
    RETURNING id, queue INTO skipped_id, skipped_queue;
    IF skipped_id IS NOT NULL THEN
      PERFORM {{schema}}.announce_freed(ARRAY[skipped_queue]);
      IF {{schema}}.events_watched() THEN
        PERFORM {{schema}}.emit_events(jsonb_build_array(jsonb_build_object(
          'type', 'tick', 'id', skipped_id, 'queue', skipped_queue, 'schedule', s.name,
          'tickAt', tick, 'skipped', reason, 'at', now())));
      END IF;
    END IF;
  END IF;
  IF waiting THEN
    made := {{schema}}.schedule_enqueue(s.name, ticks, ids, default_max_attempts);
  END IF;
  UPDATE {{schema}}.schedules
  SET next_tick_at = CASE WHEN waiting THEN next_tick ELSE next_tick_at END,
      runs = runs + made,
      last_tick_at = CASE WHEN reason IS NULL AND job_id IS NOT NULL
                            AND tick >= coalesce(last_tick_at, '-infinity')
                          THEN tick ELSE last_tick_at END,
      last_job_id = CASE WHEN reason IS NULL AND job_id IS NOT NULL
                           AND tick >= coalesce(last_tick_at, '-infinity')
                         THEN job_id ELSE last_job_id END,
      updated_at = now()
  WHERE name = s.name;
  outcome := CASE WHEN reason IS NULL THEN 'run' ELSE 'skipped' END;
END
$$;

-- Says on the events channel, while someone watches, that a schedule was set, paused, resumed,
-- triggered or removed.
CREATE FUNCTION {{schema}}.schedule_changed(schedule_name text, queue text, change text)
RETURNS void LANGUAGE sql VOLATILE AS $$
  SELECT {{schema}}.emit_events(jsonb_build_array(jsonb_build_object(
    'type', 'schedule', 'id', schedule_name, 'queue', queue, 'schedule', schedule_name,
    'change', change, 'at', now())))
  WHERE {{schema}}.events_watched()
$$;

-- As in migration 0011: a function that runs with its owner's rights resolves no name through
-- the caller's search_path (every name in them is schema-qualified or in pg_catalog).
ALTER FUNCTION {{schema}}.schedule_enqueue(text, timestamptz[], uuid[], integer)
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION {{schema}}.schedule_advance(
  text, uuid, uuid, timestamptz, integer, timestamptz[], uuid[], timestamptz, boolean, integer,
  boolean)
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
