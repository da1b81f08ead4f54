-- pgpulse migration 0014: pgpulse's own inserts announce themselves; the insert trigger is for
-- everyone else's, and costs pgpulse's nothing.
-- compatible-with: 13
--
-- The statement-level insert trigger (migration 0001) collected every inserted row into a
-- transition table to count them per queue: for a batch of 10,000 jobs that capture and the
-- trigger's pass over it took about 40% of the INSERT's time (bench/NOTES.md). pgpulse's send
-- statements know their queue, count and earliest run_at already, so they now announce the jobs
-- themselves (and file tenants, and emit `enqueued` events), and mark the statement as theirs:
-- `pgpulse.own_statement` is set to the statement's start time, which no other statement shares.
-- The triggers below fire only for other statements (a plain INSERT from psql or another
-- language), whose inserts therefore still wake workers:
--
--   * jobs_external_insert: AFTER INSERT FOR EACH STATEMENT, no transition table: one
--     `announce_any()` notice per statement, which wakes the consumers of every queue of the
--     schema (they claim once and find what is theirs);
--   * jobs_external_tenant: BEFORE INSERT FOR EACH ROW of a row without a tenant: files it
--     under '' when its queue is fair (fair claims walk tenants);
--   * jobs_external_events: AFTER INSERT FOR EACH ROW while someone watches events: `enqueued`.
--
-- Older code, whose statements do not mark themselves, is served by these triggers like any other
-- inserter: correct, a little slower.

-- The jobs channel's fourth notice: jobs of unknown queues became pending (an insert from
-- outside pgpulse). Decoded by decodeJobsNotice as `{kind: 'any'}`.
CREATE FUNCTION {{schema}}.announce_any() RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT pg_notify('{{schema_name}}.jobs', json_build_object('any', true, 'r', random())::text)
$$;

DROP TRIGGER jobs_notify_insert ON {{schema}}.jobs;
DROP FUNCTION {{schema}}.jobs_after_insert();

CREATE FUNCTION {{schema}}.jobs_external_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM {{schema}}.announce_any();
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_external_insert
  AFTER INSERT ON {{schema}}.jobs
  FOR EACH STATEMENT
  WHEN (current_setting('pgpulse.own_statement', true) IS DISTINCT FROM statement_timestamp()::text)
  EXECUTE FUNCTION {{schema}}.jobs_external_insert();

CREATE FUNCTION {{schema}}.jobs_external_tenant() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.state = 'pending'
     AND EXISTS (SELECT 1 FROM {{schema}}.queues WHERE name = NEW.queue AND fair_tenants) THEN
    NEW.tenant := '';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER jobs_external_tenant
  BEFORE INSERT ON {{schema}}.jobs
  FOR EACH ROW
  WHEN (NEW.tenant IS NULL
        AND current_setting('pgpulse.own_statement', true) IS DISTINCT FROM statement_timestamp()::text)
  EXECUTE FUNCTION {{schema}}.jobs_external_tenant();

CREATE FUNCTION {{schema}}.jobs_external_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF {{schema}}.events_watched() THEN
    PERFORM {{schema}}.emit_events(jsonb_build_array(jsonb_build_object(
      'type', 'enqueued', 'id', NEW.id, 'queue', NEW.queue, 'name', NEW.name,
      'runAt', NEW.run_at, 'priority', NEW.priority, 'tenant', nullif(NEW.tenant, ''),
      'at', now())));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_external_events
  AFTER INSERT ON {{schema}}.jobs
  FOR EACH ROW
  WHEN (current_setting('pgpulse.own_statement', true) IS DISTINCT FROM statement_timestamp()::text)
  EXECUTE FUNCTION {{schema}}.jobs_external_events();

-- The `enqueued` events of jobs pgpulse's own statements inserted, called only while someone
-- watches (so nobody else pays for building its argument): a JSON array of {id, queue, name,
-- run_at, priority, tenant}.
CREATE FUNCTION {{schema}}.emit_enqueued(inserted jsonb) RETURNS integer
LANGUAGE sql VOLATILE AS $$
  SELECT {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
    'type', 'enqueued', 'id', e ->> 'id', 'queue', e ->> 'queue', 'name', e ->> 'name',
    'runAt', e -> 'run_at', 'priority', (e ->> 'priority')::smallint,
    'tenant', nullif(e ->> 'tenant', ''), 'at', now())))
  FROM jsonb_array_elements(inserted) AS e
$$;
