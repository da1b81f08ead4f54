-- pgpulse migration 0016: flows, jobs that depend on other jobs (a DAG), settled in the database.
-- compatible-with: 16
--
-- Only code that knows flows may run against this schema: an older worker would complete a
-- flow's job without releasing its children, which would then wait for ever.
--
--   * `job_deps` holds one edge per (child, parent), with what the child does when that parent
--     fails (`on_failure`: cancel, dead, or run anyway) and, once the parent settled, how
--     (`outcome`: completed, dead or cancelled).
--   * A child is inserted `waiting`, a state the claim never looks at (its indexes are on
--     pending jobs), with `waiting_parents` set to its number of parents. The statement that
--     settles a parent calls settle_dependents(), which settles the parent's edges and takes each
--     child's count down by one with a single UPDATE (row-locked, so concurrent settlements of
--     its parents serialise on the child and none is lost or counted twice); the one that reaches
--     0 makes the child pending and announces it, in the same transaction. A failed parent stops
--     its children at once by their policy, and their children after them.
--   * Every job of a flow carries its `flow_id` and stays in the jobs table when it finishes
--     (completed and cancelled jobs of flows are not moved to jobs_done), so that a flow is read,
--     resumed and pruned in one place, and as one unit: retention takes none of a flow's jobs
--     before the whole flow has finished.
--   * Events of a flow's jobs carry its id (`flowId`), added by emit_events().

ALTER TABLE {{schema}}.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE {{schema}}.jobs ADD CONSTRAINT jobs_state_check
  CHECK (state IN ('waiting', 'pending', 'running', 'completed', 'dead', 'cancelled'));

-- jobs and jobs_done keep the same columns in the same order (migration 0013).
-- `has_children` marks a job outside any flow that a job sent later depends on: with `flow_id`,
-- it tells the settling statements which jobs to pass to settle_dependents(), so that a job of no
-- flow costs them nothing.
ALTER TABLE {{schema}}.jobs
  ADD COLUMN flow_id uuid,
  ADD COLUMN waiting_parents integer NOT NULL DEFAULT 0,
  ADD COLUMN has_children boolean NOT NULL DEFAULT false;
ALTER TABLE {{schema}}.jobs_done
  ADD COLUMN flow_id uuid,
  ADD COLUMN waiting_parents integer NOT NULL DEFAULT 0,
  ADD COLUMN has_children boolean NOT NULL DEFAULT false;

-- The view of migration 0013 takes the new columns (a view's `*` is expanded when it is made).
CREATE OR REPLACE VIEW {{schema}}.all_jobs AS
  SELECT * FROM {{schema}}.jobs
  UNION ALL
  SELECT * FROM {{schema}}.jobs_done;

-- A flow's jobs, newest finish first with unfinished ones (NULL) before all: its first entry
-- says whether the flow has finished, and when (retention), in one probe.
CREATE INDEX jobs_flow_idx ON {{schema}}.jobs (flow_id, finished_at DESC)
  WHERE flow_id IS NOT NULL;

CREATE TABLE {{schema}}.job_deps (
  child      uuid NOT NULL,
  parent     uuid NOT NULL,
  flow_id    uuid NOT NULL,
  on_failure text NOT NULL DEFAULT 'cancel' CHECK (on_failure IN ('cancel', 'dead', 'run')),
  outcome    text CHECK (outcome IN ('completed', 'dead', 'cancelled')),
  PRIMARY KEY (child, parent),
  CHECK (child <> parent)
);
-- A settling parent finds its children.
CREATE INDEX job_deps_parent_idx ON {{schema}}.job_deps (parent);

-- Settles the edges of parents that just settled with `outcome` (completed, dead or cancelled):
-- each waiting child's count goes down by the edges no longer holding it (completed ones, and
-- failed ones whose policy is `run`), and a child at 0 becomes pending and is announced; a child
-- whose policy for a failed parent is `cancel` or `dead` stops in that state (the reason in its
-- last_error, code PARENT_FAILED), and its own children are settled in turn. Children are locked
-- in id order, so settlements of many parents at once cannot deadlock on them. Statements pass
-- only jobs of a flow or marked `has_children`; any id may be passed (one without children costs
-- an index probe). Returns how many children became pending.
-- Runs as the schema's owner: a consumer needs no privilege on other jobs than its own.
CREATE FUNCTION {{schema}}.settle_dependents(parents uuid[], settled_as text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids uuid[] := parents;
  outcomes text[] := array_fill(settled_as, ARRAY[coalesce(cardinality(parents), 0)]);
  kids uuid[];
  kid_freed bigint[];
  kid_stops text[];
  kid_culprits uuid[];
  kid_culprit_outcomes text[];
  released integer := 0;
  n integer;
BEGIN
  WHILE coalesce(cardinality(ids), 0) > 0 LOOP
    WITH settled AS (
      UPDATE {{schema}}.job_deps AS d SET outcome = f.outcome
      FROM unnest(ids, outcomes) AS f(id, outcome)
      WHERE d.parent = ANY (ids) AND d.parent = f.id AND d.outcome IS NULL
      RETURNING d.child, d.parent, f.outcome AS parent_outcome, d.on_failure
    ), per_child AS (
      SELECT child,
             count(*) FILTER (WHERE parent_outcome = 'completed' OR on_failure = 'run') AS n_freed,
             CASE WHEN bool_or(parent_outcome <> 'completed' AND on_failure = 'dead') THEN 'dead'
                  WHEN bool_or(parent_outcome <> 'completed' AND on_failure = 'cancel')
                    THEN 'cancelled' END AS stop,
             (array_agg(parent ORDER BY parent)
                FILTER (WHERE parent_outcome <> 'completed' AND on_failure <> 'run'))[1] AS culprit,
             (array_agg(parent_outcome ORDER BY parent)
                FILTER (WHERE parent_outcome <> 'completed' AND on_failure <> 'run'))[1]
               AS culprit_outcome
      FROM settled GROUP BY child
    )
    SELECT array_agg(child ORDER BY child), array_agg(p.n_freed ORDER BY child),
           array_agg(stop ORDER BY child), array_agg(culprit ORDER BY child),
           array_agg(culprit_outcome ORDER BY child)
    INTO kids, kid_freed, kid_stops, kid_culprits, kid_culprit_outcomes
    FROM per_child AS p;
    EXIT WHEN kids IS NULL;

    PERFORM 1 FROM {{schema}}.jobs WHERE id = ANY (kids) AND state = 'waiting'
    ORDER BY id FOR UPDATE;

    -- Children a failed parent stops: the next round settles their own children.
    WITH c AS (
      SELECT * FROM unnest(kids, kid_stops, kid_culprits, kid_culprit_outcomes)
        AS c(id, stop, culprit, culprit_outcome)
      WHERE stop IS NOT NULL
    ), stopped AS (
      UPDATE {{schema}}.jobs AS j
      SET state = c.stop, finished_at = now(), updated_at = now(),
          last_error = jsonb_build_object(
            'name', 'DependencyFailed', 'code', 'PARENT_FAILED', 'retryable', false,
            'message', format('parent job %s was %s', c.culprit, c.culprit_outcome),
            'parent', c.culprit, 'attempt', j.attempts, 'at', now())
      FROM c
      WHERE j.id = ANY (ARRAY(SELECT id FROM c)) AND j.id = c.id AND j.state = 'waiting'
      RETURNING j.id, j.queue, j.state, j.attempts
    ), events AS (
      SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(
        jsonb_build_object('type', state, 'id', id, 'queue', queue, 'attempt', attempts,
                           'at', now()))) END AS sent
      FROM stopped WHERE {{schema}}.events_watched()
    )
    SELECT array_agg(id), array_agg(state) INTO ids, outcomes
    FROM stopped CROSS JOIN (SELECT count(*) FROM events) AS e;

    -- Children no longer held by these parents: the last one makes them pending.
    WITH c AS (
      SELECT * FROM unnest(kids, kid_freed, kid_stops) AS c(id, freed, stop)
      WHERE c.stop IS NULL AND c.freed > 0
    ), moved_on AS (
      UPDATE {{schema}}.jobs AS j
      SET waiting_parents = j.waiting_parents - c.freed,
          state = CASE WHEN j.waiting_parents - c.freed <= 0 THEN 'pending' ELSE 'waiting' END,
          updated_at = now()
      FROM c
      WHERE j.id = ANY (ARRAY(SELECT id FROM c)) AND j.id = c.id AND j.state = 'waiting'
      RETURNING j.id, j.queue, j.state, j.run_at
    ), announced AS (
      SELECT {{schema}}.announce(queue, count(*), min(run_at))
      FROM moved_on WHERE state = 'pending' GROUP BY queue
    ), events AS (
      SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(
        jsonb_build_object('type', 'ready', 'id', id, 'queue', queue, 'runAt', run_at,
                           'at', now()))) END AS sent
      FROM moved_on WHERE state = 'pending' AND {{schema}}.events_watched()
    )
    SELECT count(*) FILTER (WHERE state = 'pending') INTO n
    FROM moved_on
    CROSS JOIN (SELECT count(*) FROM announced) AS a
    CROSS JOIN (SELECT count(*) FROM events) AS e;
    released := released + n;
  END LOOP;
  RETURN released;
END
$$;

-- Resumes what the failure of redriven parents stopped: their edges that stopped a child are
-- unsettled again, and each child stopped by a parent's failure (code PARENT_FAILED) with no
-- other failed parent holding it waits again, for its unsettled parents; its own children follow.
-- Returns how many jobs went back to waiting. Runs as the schema's owner.
CREATE FUNCTION {{schema}}.resume_dependents(parents uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ids uuid[] := parents;
  kids uuid[];
  resumed integer := 0;
BEGIN
  WHILE coalesce(cardinality(ids), 0) > 0 LOOP
    WITH reopened AS (
      UPDATE {{schema}}.job_deps SET outcome = NULL
      WHERE parent = ANY (ids) AND outcome IN ('dead', 'cancelled') AND on_failure <> 'run'
      RETURNING child
    )
    SELECT array_agg(DISTINCT child) INTO kids FROM reopened;
    EXIT WHEN kids IS NULL;
    PERFORM 1 FROM {{schema}}.jobs WHERE id = ANY (kids) ORDER BY id FOR UPDATE;
    WITH back AS (
      UPDATE {{schema}}.jobs AS j
      SET state = 'waiting', finished_at = NULL, updated_at = now(),
          -- The failure before the parent's, if any.
          last_error = j.errors -> -1,
          waiting_parents = (SELECT count(*) FROM {{schema}}.job_deps AS d
                             WHERE d.child = j.id AND d.outcome IS NULL)
      WHERE j.id = ANY (kids) AND j.state IN ('dead', 'cancelled')
        AND j.last_error ->> 'code' = 'PARENT_FAILED'
        AND NOT EXISTS (SELECT 1 FROM {{schema}}.job_deps AS d
                        WHERE d.child = j.id AND d.outcome IN ('dead', 'cancelled')
                          AND d.on_failure <> 'run')
      RETURNING j.id
    )
    SELECT array_agg(id) INTO ids FROM back;
    resumed := resumed + coalesce(cardinality(ids), 0);
  END LOOP;
  RETURN resumed;
END
$$;

-- Inserts the jobs of a flow, or one job depending on others, with their edges, in one call.
-- Parents outside the call (`outside`: jobs sent before) are locked while their children are
-- linked, so that none settles unseen; one found in neither jobs nor jobs_done raises PQ002 with
-- its id, and nothing is written. With `inherit`, the jobs join the flow of the first outside
-- parent that has one, else `flow`. Jobs with parents are inserted waiting, the others pending
-- and announced; edges to parents that had already settled are settled at once (a completed
-- parent counts as done, a failed one applies its policy). Returns the flow's id.
-- The statement is marked as pgpulse's own (migration 0014): it announces its jobs itself.
-- nodes: jsonb array of {id, queue, payload, parents (how many), and when set: name, priority,
--   run_at, delay_ms, max_attempts, backoff, tenant, trace_context}
-- edges: jsonb array of {child, parent, on_failure}
CREATE FUNCTION {{schema}}.insert_flow(flow uuid, inherit boolean, nodes jsonb, edges jsonb,
                                       outside uuid[], default_max_attempts integer)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  f uuid := flow;
  hot_ids uuid[] := '{}';
  hot_states text[] := '{}';
  done_ids uuid[] := '{}';
  done_states text[] := '{}';
  missing uuid;
  n integer;
  settled text;
BEGIN
  PERFORM set_config('pgpulse.own_statement', statement_timestamp()::text, true);
  IF coalesce(cardinality(outside), 0) > 0 THEN
    SELECT coalesce(array_agg(id ORDER BY id), '{}'), coalesce(array_agg(state ORDER BY id), '{}')
    INTO hot_ids, hot_states
    FROM (SELECT id, state FROM {{schema}}.jobs WHERE id = ANY (outside)
          ORDER BY id FOR UPDATE) AS locked;
    -- A parent of no flow is marked, so that the statement settling it settles its children: one
    -- that waited for this lock re-reads the row (the new version) and sees the mark.
    UPDATE {{schema}}.jobs SET has_children = true
    WHERE id = ANY (hot_ids) AND flow_id IS NULL AND NOT has_children;
    -- A parent gone from jobs since has finished: it is in jobs_done (this query sees it).
    SELECT coalesce(array_agg(id), '{}'), coalesce(array_agg(state), '{}')
    INTO done_ids, done_states
    FROM {{schema}}.jobs_done WHERE id = ANY (outside) AND id <> ALL (hot_ids);
    SELECT o INTO missing FROM unnest(outside) AS o
    WHERE o <> ALL (hot_ids) AND o <> ALL (done_ids) LIMIT 1;
    IF missing IS NOT NULL THEN
      RAISE EXCEPTION 'job % not found (unknown, or pruned)', missing
        USING ERRCODE = 'PQ002', DETAIL = json_build_object('id', missing)::text;
    END IF;
    IF inherit THEN
      SELECT coalesce(
        (SELECT p.flow_id FROM unnest(outside) WITH ORDINALITY AS o(id, i)
         JOIN {{schema}}.all_jobs AS p ON p.id = o.id
         WHERE p.flow_id IS NOT NULL ORDER BY o.i LIMIT 1), flow)
      INTO f;
    END IF;
  END IF;

  WITH inserted AS (
    INSERT INTO {{schema}}.jobs
      (id, queue, name, payload, priority, run_at, max_attempts, backoff, tenant, trace_context,
       flow_id, state, waiting_parents)
    SELECT t.id, t.queue, coalesce(t.name, 'default'), coalesce(t.payload, 'null'::jsonb),
           coalesce(t.priority, 0),
           coalesce(t.run_at, now() + coalesce(t.delay_ms, 0) * interval '1 millisecond'),
           coalesce(t.max_attempts, s.max_attempts, default_max_attempts),
           coalesce(t.backoff, s.backoff),
           -- A fair queue files a job without a tenant under '' (see migration 0005).
           coalesce(t.tenant, CASE WHEN s.fair_tenants THEN '' END),
           t.trace_context, f,
           CASE WHEN coalesce(t.parents, 0) > 0 THEN 'waiting' ELSE 'pending' END,
           coalesce(t.parents, 0)
    FROM jsonb_to_recordset(nodes) AS t(
      id uuid, queue text, name text, payload jsonb, priority smallint, run_at timestamptz,
      delay_ms bigint, max_attempts integer, backoff jsonb, tenant text, trace_context jsonb,
      parents integer)
    LEFT JOIN {{schema}}.queues AS s ON s.name = t.queue
    RETURNING id, queue, name, run_at, priority, tenant, state
  ), announced AS (
    SELECT {{schema}}.announce(queue, count(*), min(run_at))
    FROM inserted WHERE state = 'pending' GROUP BY queue
  ), events AS (
    SELECT {{schema}}.emit_enqueued(jsonb_agg(to_jsonb(inserted))) AS sent FROM inserted
    WHERE {{schema}}.events_watched()
  )
  SELECT (SELECT count(*) FROM announced) + (SELECT count(*) FROM events) INTO n;

  INSERT INTO {{schema}}.job_deps (child, parent, flow_id, on_failure)
  SELECT e.child, e.parent, f, coalesce(e.on_failure, 'cancel')
  FROM jsonb_to_recordset(edges) AS e(child uuid, parent uuid, on_failure text);

  -- Outside parents that had settled already.
  FOREACH settled IN ARRAY ARRAY['completed', 'dead', 'cancelled'] LOOP
    PERFORM {{schema}}.settle_dependents(ARRAY(
      SELECT id FROM unnest(hot_ids || done_ids, hot_states || done_states) AS p(id, state)
      WHERE state = settled), settled);
  END LOOP;
  RETURN f;
END
$$;

-- Cancels every unfinished job of a flow (waiting, pending or running; dead ones stay, to be
-- redriven or pruned): a running one loses its lease, and a {cancel, queue} notice lets its
-- process abort the handler, as cancel() does. Children outside the flow are settled by their
-- policy. Returns how many jobs were cancelled. Runs as the schema's owner.
CREATE FUNCTION {{schema}}.cancel_flow(flow uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cancelled uuid[];
BEGIN
  WITH prev AS MATERIALIZED (
    SELECT id, queue, state FROM {{schema}}.jobs
    WHERE flow_id = flow AND state IN ('waiting', 'pending', 'running')
    ORDER BY id FOR UPDATE
  ), done AS (
    UPDATE {{schema}}.jobs AS j
    SET state = 'cancelled', lease_token = NULL, lease_expires_at = NULL,
        finished_at = now(), updated_at = now()
    FROM prev
    WHERE j.id = ANY (ARRAY(SELECT id FROM prev)) AND j.id = prev.id
    RETURNING j.id, j.queue, prev.state AS was
  ), aborted AS (
    SELECT {{schema}}.announce_cancel(id, queue) FROM done WHERE was = 'running'
  ), freed AS (
    SELECT {{schema}}.announce_freed(ARRAY(SELECT DISTINCT queue FROM done WHERE was = 'running'))
      AS freed
  ), events AS (
    SELECT CASE WHEN count(*) = 0 THEN 0 ELSE {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
      'type', 'cancelled', 'id', id, 'queue', queue, 'at', now()))) END AS sent
    FROM done WHERE {{schema}}.events_watched()
  )
  SELECT array_agg(id) INTO cancelled
  FROM done
  CROSS JOIN (SELECT count(*) FROM aborted) AS a
  CROSS JOIN freed
  CROSS JOIN events;
  PERFORM {{schema}}.settle_dependents(coalesce(cancelled, '{}'), 'cancelled');
  RETURN coalesce(cardinality(cancelled), 0);
END
$$;

-- Events of a flow's jobs carry the flow's id: the 0002 function, each job event looked up in
-- the jobs table (where a flow's jobs stay) only while someone watches, as events are.
CREATE OR REPLACE FUNCTION {{schema}}.emit_events(events jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  chunk text := '';
  item text;
  sent integer := 0;
BEGIN
  IF events IS NULL THEN
    RETURN 0;
  END IF;
  FOR item IN
    SELECT CASE WHEN j.flow_id IS NULL THEN e ELSE e || jsonb_build_object('flowId', j.flow_id)
           END::text
    FROM jsonb_array_elements(events) WITH ORDINALITY AS x(e, i)
    LEFT JOIN {{schema}}.jobs AS j
      -- Events name jobs by id; anything else in `id` is left alone rather than cast.
      ON j.id = CASE WHEN x.e ->> 'id' ~ '^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$'
                     THEN (x.e ->> 'id')::uuid END
    ORDER BY x.i
  LOOP
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
