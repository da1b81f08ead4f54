-- pgpulse migration 0012: the jobs-channel protocol written in one place, and the steps that
-- follow a settlement as functions rather than text pasted into several statements.
-- compatible-with: 11
--
-- The jobs channel (`<schema>.jobs`) carries three kinds of notice, each sent by one function
-- here and decoded by one function in TypeScript (src/notify/jobs-channel.ts; a test sends each
-- kind through PostgreSQL and decodes it):
--   announce(queue, count, run_at)  jobs became pending: {queue, count, runAt, r}  (migration 1)
--   announce_control(queue)         a queue's settings changed: {control}         (migration 6)
--   announce_cancel(id, queue)      a running job was cancelled: {cancel, queue}  (new)
-- `r` is random() so that PostgreSQL does not fold equal notices of one transaction into one.

CREATE FUNCTION {{schema}}.announce_cancel(id uuid, queue text) RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT pg_notify('{{schema_name}}.jobs', json_build_object('cancel', id, 'queue', queue)::text)
$$;

-- Finished running jobs free slots of queues with a concurrency limit: announce them, so a
-- capped worker claims again. Returns how many queues were announced.
CREATE FUNCTION {{schema}}.announce_freed(queues text[]) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT count(*) FROM (
    SELECT {{schema}}.announce(q.name, 1, now()) FROM {{schema}}.queues AS q
    WHERE q.name = ANY (queues) AND q.concurrency_limit IS NOT NULL
  ) AS announced
$$;

-- What follows failed attempts, whoever recorded them (a handler's failure, or the sweeper
-- finding a lease expired). `done` is a JSON array of {id, queue, state, run_at, attempts,
-- error}: the jobs just put back to pending or moved to dead. Jobs put back are announced (so
-- idle workers in any process can arm a timer for them), the slot each held is freed, and while
-- someone watches, a `failed` and then a `retried` or `dead` event go out per job. Returns how
-- many queues were announced and freed.
CREATE FUNCTION {{schema}}.after_failure(done jsonb, OUT notified bigint, OUT freed bigint)
LANGUAGE sql VOLATILE AS $$
  WITH d AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(done)
      AS t(id uuid, queue text, state text, run_at timestamptz, attempts integer, error jsonb)
  ), announced AS MATERIALIZED (
    SELECT {{schema}}.announce(queue, count(*), min(run_at))
    FROM d WHERE state = 'pending' GROUP BY queue
  ), events AS MATERIALIZED (
    SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(e.event)) END
    FROM d
    CROSS JOIN LATERAL (VALUES
      (jsonb_build_object('type', 'failed', 'id', id, 'queue', queue, 'attempt', attempts,
         'error', left(error ->> 'message', 500), 'at', now())),
      (jsonb_build_object('type', CASE WHEN state = 'pending' THEN 'retried' ELSE 'dead' END,
         'id', id, 'queue', queue, 'attempt', attempts, 'runAt', run_at, 'at', now()))
    ) AS e(event)
    WHERE {{schema}}.events_watched()
  )
  SELECT (SELECT count(*) FROM announced),
         {{schema}}.announce_freed(ARRAY(SELECT DISTINCT queue FROM d))
  FROM events
$$;
