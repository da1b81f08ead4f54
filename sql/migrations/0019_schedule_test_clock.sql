-- pgpulse migration 0019: recurring schedules on a test clock. pgpulse/testing's TestClock moves
-- pending jobs' due times earlier; for a schedule that alone is not enough, since its next tick is
-- computed from the database's clock when a tick's job is claimed. Each schedule now keeps how far
-- the test clock has moved it (clock_offset_ms, 0 unless a TestClock advanced it): its ticks are
-- computed on the database's clock plus that offset, and a tick's job is due that much earlier
-- on the real clock. With the offset at 0 (always, outside tests) nothing changes: hence
-- compatible with 18.
-- compatible-with: 18

ALTER TABLE {{schema}}.schedules ADD COLUMN clock_offset_ms bigint NOT NULL DEFAULT 0;

-- As in migration 0015, but a tick's job is due clock_offset_ms before its tick.
CREATE OR REPLACE FUNCTION {{schema}}.schedule_enqueue(
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
           coalesce((s.job_options ->> 'priority')::smallint, 0), coalesce(t.tick - s.clock_offset_ms * interval '1 millisecond', now()),
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

-- CREATE OR REPLACE resets what migration 0015 set: it runs with its owner's rights again.
ALTER FUNCTION {{schema}}.schedule_enqueue(text, timestamptz[], uuid[], integer)
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
