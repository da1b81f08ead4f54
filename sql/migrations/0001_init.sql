-- pgpulse migration 0001: the jobs table, its archive, and the insert trigger that wakes workers.
--
-- {{schema}} is replaced by the validated, quoted schema identifier and {{schema_name}} by the
-- bare validated name (used inside string literals such as NOTIFY channel names). Nothing else
-- is ever interpolated. Append-only: never edit this file after release, add 0002_... instead.

CREATE TABLE {{schema}}.jobs (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  queue            text        NOT NULL CHECK (queue ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'),
  -- The job type within a queue; a worker routes on it.
  name             text        NOT NULL DEFAULT 'default'
                               CHECK (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'),
  payload          jsonb       NOT NULL DEFAULT '{}',
  state            text        NOT NULL DEFAULT 'pending'
                               CHECK (state IN ('pending', 'running', 'completed', 'dead', 'cancelled')),
  -- Lower runs first, as in graphile-worker; the client keeps it within smallint.
  priority         smallint    NOT NULL DEFAULT 0,
  run_at           timestamptz NOT NULL DEFAULT now(),
  -- Attempts started so far: a claim increments it, a release gives it back.
  attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- Same default as DEFAULT_MAX_ATTEMPTS in src/config.ts, for rows inserted by plain SQL.
  max_attempts     integer     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  -- NULL means the default policy at the time of failure (see src/settle/backoff.ts).
  backoff          jsonb,
  lease_token      uuid,
  lease_expires_at timestamptz,
  worker_id        text,
  heartbeat_at     timestamptz,
  idempotency_key  text,
  tenant           text,
  result           jsonb,
  last_error       jsonb,
  -- The most recent errors, oldest first, bounded by append_error().
  errors           jsonb       NOT NULL DEFAULT '[]',
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- A running job always holds a lease, and only a running job does: fencing relies on it.
  CONSTRAINT jobs_lease_iff_running
    CHECK ((state = 'running') = (lease_token IS NOT NULL AND lease_expires_at IS NOT NULL)),
  CONSTRAINT jobs_finished_iff_final
    CHECK ((state IN ('completed', 'dead', 'cancelled')) = (finished_at IS NOT NULL))
) WITH (fillfactor = 80);

-- The claim: due pending jobs of one queue in (priority, run_at, id) order. Partial, so its size
-- is the pending backlog only and a claim stays O(log n) however many finished rows remain.
CREATE INDEX jobs_claim_idx ON {{schema}}.jobs (queue, priority, run_at, id)
  WHERE state = 'pending';

-- The claim of a worker scoped to one tenant.
CREATE INDEX jobs_claim_tenant_idx ON {{schema}}.jobs (queue, tenant, priority, run_at, id)
  WHERE state = 'pending' AND tenant IS NOT NULL;

-- The next delayed or retried job's run_at, to arm a timer instead of waiting for a poll.
CREATE INDEX jobs_next_run_at_idx ON {{schema}}.jobs (queue, run_at)
  WHERE state = 'pending';

-- Running jobs per queue, and the sweeper's scan for expired leases. lease_expires_at is
-- deliberately not indexed: heartbeats then change no indexed column and can be HOT updates.
CREATE INDEX jobs_running_idx ON {{schema}}.jobs (queue)
  WHERE state = 'running';

-- One unfinished job per (queue, idempotency key); a finished job frees its key.
CREATE UNIQUE INDEX jobs_idempotency_idx ON {{schema}}.jobs (queue, idempotency_key)
  WHERE idempotency_key IS NOT NULL AND state IN ('pending', 'running');

-- Retention walks finished rows oldest first.
CREATE INDEX jobs_finished_idx ON {{schema}}.jobs (finished_at)
  WHERE state IN ('completed', 'dead', 'cancelled');

-- Finished jobs moved out of the hot table by retention in archive mode.
CREATE TABLE {{schema}}.jobs_archive (
  LIKE {{schema}}.jobs INCLUDING DEFAULTS,
  archived_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id)
);
CREATE INDEX jobs_archive_queue_idx ON {{schema}}.jobs_archive (queue, archived_at);

-- Appends one error record to a job's history, keeping only the newest `keep` entries.
CREATE FUNCTION {{schema}}.append_error(history jsonb, error jsonb, keep integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
  FROM jsonb_array_elements(history || jsonb_build_array(error)) WITH ORDINALITY AS x(e, n)
  WHERE n > jsonb_array_length(history) + 1 - keep
$$;

-- Announces pending jobs of one queue on the jobs channel: `count` lets one notice wake several
-- idle consumers; `runAt` (epoch ms, the earliest among them) lets a consumer arm a timer for a
-- delayed job; `r` keeps PostgreSQL from collapsing equal notices in one transaction. Every
-- statement that makes jobs pending announces them through this one function.
CREATE FUNCTION {{schema}}.announce(queue text, count bigint, run_at timestamptz)
RETURNS void LANGUAGE sql VOLATILE AS $$
  SELECT pg_notify(
    '{{schema_name}}.jobs',
    json_build_object(
      'queue', queue, 'count', count,
      'runAt', floor(extract(epoch FROM run_at) * 1000), 'r', random())::text)
$$;

-- One notification per queue per INSERT statement, never per row: River, Oban and
-- graphile-worker all dropped row-level triggers after notification floods. Being a trigger, it
-- also fires for a plain INSERT typed in psql or sent from any language.
CREATE FUNCTION {{schema}}.jobs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {{schema}}.announce(queue, count(*), min(run_at))
  FROM new_jobs
  WHERE state = 'pending'
  GROUP BY queue;
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify_insert
  AFTER INSERT ON {{schema}}.jobs
  REFERENCING NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.jobs_after_insert();
