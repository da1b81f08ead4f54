-- partial after_failure.sql: what follows failed attempts, whoever recorded them (a handler's
-- failure, or the sweeper finding a lease expired). Reads `done(id, queue, state, run_at,
-- attempts, error)`, the jobs just put back to pending or moved to dead. Jobs put back are
-- announced so idle workers in any process can arm a timer for them; the slot each held is freed;
-- while someone watches, a `failed` and then a `retried` or `dead` event go out per job.
notified AS (
  SELECT {{schema}}.announce(queue, count(*), min(run_at))
  FROM done WHERE state = 'pending' GROUP BY queue
), {{> freed}}, events AS (
  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(e.event)) END
  FROM done
  CROSS JOIN LATERAL (VALUES
    (jsonb_build_object('type', 'failed', 'id', id, 'queue', queue, 'attempt', attempts,
       'error', left(error ->> 'message', 500), 'at', now())),
    (jsonb_build_object('type', CASE WHEN state = 'pending' THEN 'retried' ELSE 'dead' END,
       'id', id, 'queue', queue, 'attempt', attempts, 'runAt', run_at, 'at', now()))
  ) AS e(event)
  WHERE {{schema}}.events_watched()
)
