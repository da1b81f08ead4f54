-- pgpulse migration 0002: lifecycle events (enqueued, started, completed, failed, retried, dead,
-- cancelled, released) on the <schema>.events channel, for dashboards and the CLI.
--
-- NOTIFY is not free (committing transactions that notify are serialised), so events are sent
-- only while someone watches: a watcher keeps a row here alive, and every statement checks for
-- one before building events. A watcher that crashed stops counting when its row expires.

CREATE TABLE {{schema}}.event_watchers (
  id         uuid        PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

-- Whether any watcher is alive.
CREATE FUNCTION {{schema}}.events_watched() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM {{schema}}.event_watchers WHERE expires_at > now())
$$;

-- Sends a jsonb array of events as JSON arrays in as few notifications as fit NOTIFY's
-- 8000-byte payload limit. Returns how many notifications were sent.
CREATE FUNCTION {{schema}}.emit_events(events jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  chunk text := '';
  item text;
  sent integer := 0;
BEGIN
  IF events IS NULL THEN
    RETURN 0;
  END IF;
  FOR item IN SELECT e::text FROM jsonb_array_elements(events) AS e LOOP
    IF chunk <> '' AND octet_length(chunk) + octet_length(item) > 7800 THEN
      PERFORM pg_notify('{{schema_name}}.events', '[' || chunk || ']');
      sent := sent + 1;
      chunk := '';
    END IF;
    chunk := CASE WHEN chunk = '' THEN item ELSE chunk || ',' || item END;
  END LOOP;
  IF chunk <> '' THEN
    PERFORM pg_notify('{{schema_name}}.events', '[' || chunk || ']');
    sent := sent + 1;
  END IF;
  RETURN sent;
END
$$;

-- The insert trigger of 0001, now also announcing each inserted job while someone watches.
CREATE OR REPLACE FUNCTION {{schema}}.jobs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {{schema}}.announce(queue, count(*), min(run_at))
  FROM new_jobs
  WHERE state = 'pending'
  GROUP BY queue;
  IF {{schema}}.events_watched() THEN
    PERFORM {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
      'type', 'enqueued', 'id', id, 'queue', queue, 'name', name, 'runAt', run_at,
      'priority', priority, 'tenant', tenant, 'at', now())))
    FROM new_jobs;
  END IF;
  RETURN NULL;
END
$$;
