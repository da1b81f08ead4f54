-- pgpulse migration 0006: what claims of limited and fair queues, and queue control, need.

-- How many jobs a claim of a limited queue (a concurrency limit or a rate limit) may take, out of
-- `wanted`. It locks the queue's row until the claiming transaction ends, so the claims of a
-- limited queue run one at a time across every process. Being VOLATILE, each statement here reads
-- a fresh snapshot: the count of running jobs includes what the previous lock holder claimed,
-- which the calling statement's own snapshot (taken before it waited for the lock) would miss.
-- The token bucket is read here and written back by the caller, which knows how many it took:
-- `tokens` and `at` are the bucket as of now; `retry_in_ms` says when the next whole token
-- arrives if there is none; `capped` says the concurrency limit is reached.
CREATE FUNCTION {{schema}}.claim_budget(
  queue_name text, wanted integer,
  OUT n integer, OUT tokens double precision, OUT at timestamptz,
  OUT retry_in_ms double precision, OUT capped boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  q {{schema}}.queues%ROWTYPE;
  running bigint;
BEGIN
  n := wanted;
  capped := false;
  at := clock_timestamp();
  SELECT * INTO q FROM {{schema}}.queues WHERE name = queue_name FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF q.paused THEN
    n := 0;
    RETURN;
  END IF;
  IF q.concurrency_limit IS NOT NULL THEN
    SELECT count(*) INTO running FROM {{schema}}.jobs WHERE queue = queue_name AND state = 'running';
    n := least(n, greatest(0, q.concurrency_limit - running));
    capped := running >= q.concurrency_limit;
  END IF;
  IF q.rate_limit IS NOT NULL THEN
    -- Refilled continuously at rate_limit per rate_period_ms, holding at most rate_limit.
    tokens := least(q.rate_limit::double precision,
                    coalesce(q.rate_tokens, q.rate_limit)
                    + greatest(0, extract(epoch FROM at - coalesce(q.rate_updated_at, at)))
                      * 1000 * q.rate_limit / q.rate_period_ms);
    n := least(n, floor(tokens)::integer);
    IF tokens < 1 THEN
      retry_in_ms := ceil((1 - tokens) * q.rate_period_ms / q.rate_limit);
    END IF;
  END IF;
END
$$;

-- The jobs a fair claim of up to `n` jobs should take, in order: tenants are served in turn,
-- starting after `after` (the tenant the previous claim of this consumer ended with; NULL: from
-- the first) and wrapping around, each tenant's first job before any tenant's second. So a tenant
-- with one job waits at most one claim behind a tenant with 100,000. The walk over tenants is a
-- loose index scan of jobs_claim_tenant_idx visiting at most `n` tenants with due jobs, and each
-- tenant offers at most its share of `n`: O(n log N) however many tenants and jobs there are.
-- `step` is the tenant's place in the walk; `more` says the tenant may have more due jobs.
CREATE FUNCTION {{schema}}.fair_candidates(queue_name text, n integer, after text)
RETURNS TABLE (id uuid, tenant text, step integer, ord bigint, more boolean)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE walk(tenant, wrapped, step) AS (
    (SELECT first.tenant, first.wrapped, 1
    FROM (
      (SELECT j.tenant, false AS wrapped FROM {{schema}}.jobs AS j
       WHERE j.queue = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
         AND j.tenant > after AND j.run_at <= now() AND n > 0
       ORDER BY j.tenant LIMIT 1)
      UNION ALL
      (SELECT j.tenant, true FROM {{schema}}.jobs AS j
       WHERE j.queue = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
         AND j.run_at <= now() AND n > 0
       ORDER BY j.tenant LIMIT 1)
    ) AS first
    LIMIT 1)
    UNION ALL
    SELECT next.tenant, next.wrapped, w.step + 1
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT s.tenant, s.wrapped FROM (
        (SELECT j.tenant, w.wrapped FROM {{schema}}.jobs AS j
         WHERE j.queue = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
           AND j.tenant > w.tenant AND j.run_at <= now()
         ORDER BY j.tenant LIMIT 1)
        UNION ALL
        (SELECT j.tenant, true FROM {{schema}}.jobs AS j
         WHERE NOT w.wrapped AND j.queue = queue_name AND j.state = 'pending'
           AND j.tenant IS NOT NULL AND j.run_at <= now()
         ORDER BY j.tenant LIMIT 1)
      ) AS s
      LIMIT 1
    ) AS next
    -- At most n tenants; a walk that wrapped around stops where it began.
    WHERE w.step < n AND NOT coalesce(next.wrapped AND next.tenant > after, false)
  ), share AS (
    SELECT ceil(n::numeric / count(*))::integer AS per_tenant FROM walk
  )
  SELECT c.id, w.tenant, w.step, row_number() OVER (ORDER BY c.rank, w.step) AS ord,
         count(*) OVER (PARTITION BY w.tenant) >= (SELECT per_tenant FROM share) AS more
  FROM walk AS w
  CROSS JOIN LATERAL (
    SELECT top.id, row_number() OVER () AS rank
    FROM (
      SELECT j.id FROM {{schema}}.jobs AS j
      WHERE j.queue = queue_name AND j.state = 'pending' AND j.tenant = w.tenant
        AND j.run_at <= now()
      ORDER BY j.priority, j.run_at, j.id
      LIMIT (SELECT per_tenant FROM share)
    ) AS top
  ) AS c
  ORDER BY ord
$$;

-- The insert trigger, now also filing jobs that arrive without a tenant in a fair queue under ''
-- (fair claims walk tenants; a job without one would never be found). pgpulse's own sends set ''
-- themselves; this catches a plain INSERT from psql or another language. It costs one lookup of
-- the queues table per statement while no queue is fair.
CREATE OR REPLACE FUNCTION {{schema}}.jobs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM {{schema}}.queues WHERE fair_tenants) THEN
    UPDATE {{schema}}.jobs AS j SET tenant = ''
    FROM new_jobs AS n
    JOIN {{schema}}.queues AS q ON q.name = n.queue AND q.fair_tenants
    WHERE j.id = n.id AND n.tenant IS NULL AND n.state = 'pending';
  END IF;
  PERFORM {{schema}}.announce(queue, count(*), min(run_at))
  FROM new_jobs
  WHERE state = 'pending'
  GROUP BY queue;
  IF {{schema}}.events_watched() THEN
    PERFORM {{schema}}.emit_events(jsonb_agg(jsonb_build_object(
      'type', 'enqueued', 'id', id, 'queue', queue, 'name', name, 'runAt', run_at,
      'priority', priority, 'tenant', nullif(tenant, ''), 'at', now())))
    FROM new_jobs;
  END IF;
  RETURN NULL;
END
$$;

-- Tells every consumer of a queue that its settings changed (paused, resumed, limits, fairness):
-- they read them again and try a claim. Travels on the jobs channel as {control: queue}.
CREATE FUNCTION {{schema}}.announce_control(queue text) RETURNS void LANGUAGE sql VOLATILE AS $$
  SELECT pg_notify('{{schema_name}}.jobs', json_build_object('control', queue)::text)
$$;
