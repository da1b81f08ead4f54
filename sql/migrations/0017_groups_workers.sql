-- pgpulse migration 0017: limits per group (a job's tenant), a registry of live workers, and
-- what `explain` reads.
-- compatible-with: 14
--
-- A job's group is its tenant: one key serves fairness (groups are served in turn) and the limits
-- here. A queue's row holds the limits of every group (group_concurrency_limit, group_rate_limit
-- and group_rate_period_ms, group_fifo); job_groups holds overrides for some keys and the token
-- buckets of rate-limited groups. A queue with any group setting is a fair queue: its claims walk
-- its groups with a loose index scan (group_candidates), so a claim reads O(batch + running) index
-- entries however many jobs and groups wait, and a group whose cap is full costs one probe. Jobs
-- without a tenant are filed under '' (as in any fair queue), a group with no limits by default.
--
-- Code that predates this migration claims grouped queues as plain fair queues (without the group
-- limits) and otherwise works: hence compatible with 14.

ALTER TABLE {{schema}}.queues
  -- At most this many jobs of each group run at once, across every worker (NULL: no cap).
  ADD COLUMN group_concurrency_limit integer CHECK (group_concurrency_limit > 0),
  -- At most group_rate_limit starts per group_rate_period_ms for each group.
  ADD COLUMN group_rate_limit integer CHECK (group_rate_limit > 0),
  ADD COLUMN group_rate_period_ms integer CHECK (group_rate_period_ms > 0),
  -- Strict order within each group: one job at a time, in order of sending (created_at, id); a
  -- retried or orphaned job keeps its place at the head.
  ADD COLUMN group_fifo boolean NOT NULL DEFAULT false,
  -- Some group of the queue has (or had, until its removal) an override in job_groups. Kept here
  -- so that a claim learns whether the queue is grouped from the row it reads anyway.
  ADD COLUMN group_overrides boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT queues_group_rate_limit_complete
    CHECK ((group_rate_limit IS NULL) = (group_rate_period_ms IS NULL));

-- Per group: overrides of the queue's group limits (NULL: the queue's), and the token bucket of a
-- rate-limited group (rate_tokens, rate_updated_at; written by claims). A row whose overrides are
-- all NULL only holds a bucket.
-- Deleting a queue's row deletes its groups (as the table's owner: no role needs DELETE here).
CREATE TABLE {{schema}}.job_groups (
  queue             text        NOT NULL REFERENCES {{schema}}.queues (name) ON DELETE CASCADE,
  key               text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 256),
  concurrency_limit integer     CHECK (concurrency_limit > 0),
  rate_limit        integer     CHECK (rate_limit > 0),
  rate_period_ms    integer     CHECK (rate_period_ms > 0),
  rate_tokens       double precision,
  rate_updated_at   timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (queue, key),
  CONSTRAINT job_groups_rate_limit_complete CHECK ((rate_limit IS NULL) = (rate_period_ms IS NULL))
);

-- The head of a FIFO group: its first pending job in order of sending. Only jobs with a tenant.
-- Its predicate names `created_at > '-infinity'` (true of every job) so that only a statement
-- saying so can use it: without it, the planner, misled by statistics from before a burst of
-- inserts, scanned this index for tenant-scoped claims and sorted the tenant's whole backlog
-- (test/integration/indexes.test.ts), as migration 0008 tells of another index.
CREATE INDEX jobs_group_order_idx
  ON {{schema}}.jobs ((queue COLLATE "C"), (tenant COLLATE "C"), created_at, id)
  WHERE state = 'pending' AND tenant IS NOT NULL AND created_at > '-infinity';

-- The limits in force for one group of a queue at `at`, and its bucket refilled to `at`:
-- an override, else the queue's (the '' group, jobs sent without a tenant, has no default
-- limit). A FIFO group runs one job at a time. No row for a queue without settings.
-- This and group_room() are plain set-returning SQL functions, without a SET clause, so that
-- PostgreSQL inlines them into the walk of group_candidates() (a function call per group visited
-- cost a quarter of a millisecond); every name in them is schema-qualified.
CREATE FUNCTION {{schema}}.group_limits(queue_name text, group_key text, at timestamptz)
RETURNS TABLE (concurrency_limit integer, rate_limit integer, rate_period_ms integer,
               fifo boolean, tokens double precision)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN l.fifo THEN 1 ELSE l.cap END, l.rate, l.period, l.fifo,
         CASE WHEN l.rate IS NOT NULL THEN
           least(l.rate::double precision,
                 coalesce(g.rate_tokens, l.rate)
                 + greatest(0, extract(epoch FROM at - coalesce(g.rate_updated_at, at)))
                   * 1000 * l.rate / l.period) END
  FROM {{schema}}.queues AS q
  LEFT JOIN {{schema}}.job_groups AS g ON g.queue = q.name AND g.key = group_key
  CROSS JOIN LATERAL (SELECT
    coalesce(g.concurrency_limit, CASE WHEN group_key <> '' THEN q.group_concurrency_limit END),
    coalesce(g.rate_limit, CASE WHEN group_key <> '' THEN q.group_rate_limit END),
    coalesce(g.rate_period_ms, CASE WHEN group_key <> '' THEN q.group_rate_period_ms END),
    q.group_fifo AND group_key <> '') AS l(cap, rate, period, fifo)
  WHERE q.name = queue_name
$$;

-- Whether a queue's claims go through group_candidates(): it is fair and has a group setting.
CREATE FUNCTION {{schema}}.queue_grouped(queue_name text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((
    SELECT q.fair_tenants AND (q.group_concurrency_limit IS NOT NULL OR q.group_rate_limit IS NOT NULL
                               OR q.group_fifo OR q.group_overrides)
    FROM {{schema}}.queues AS q WHERE q.name = queue_name), false)
$$;

-- How many jobs a group may start now (0: none), when its next token arrives if a rate limit holds
-- it back, and for a FIFO group its head when that may start. `running`: its jobs running now.
CREATE FUNCTION {{schema}}.group_room(queue_name text, group_key text, at timestamptz,
  running integer)
RETURNS TABLE (room integer, retry double precision, head uuid)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN l.fifo AND NOT coalesce(h.run_at <= now(), false) THEN 0
              ELSE greatest(0, least(coalesce(l.concurrency_limit - running, 2147483647),
                                     coalesce(floor(l.tokens)::integer, 2147483647))) END,
         CASE WHEN l.tokens < 1 THEN ceil((1 - l.tokens) * l.rate_period_ms / l.rate_limit) END,
         CASE WHEN l.fifo AND h.run_at <= now() THEN h.id END
  FROM {{schema}}.group_limits(queue_name, group_key, at) AS l
  LEFT JOIN LATERAL (
    SELECT j.id, j.run_at FROM {{schema}}.jobs AS j
    WHERE l.fifo AND j.queue COLLATE "C" = queue_name AND j.tenant COLLATE "C" = group_key
      AND j.state = 'pending' AND j.tenant IS NOT NULL AND j.created_at > '-infinity'
    ORDER BY j.created_at, j.id LIMIT 1
  ) AS h ON true
$$;

-- The jobs a claim of up to `wanted` jobs of a grouped queue should take, like fair_candidates() (the
-- same columns, read the same way by claim_jobs.sql) but within every group's limits. It locks the
-- queue's row, so the claims of a grouped queue run one at a time across every process, and its
-- query reads a fresh snapshot once the lock is held: the running jobs it counts include those the
-- previous claim took. That makes the caps exact. The walk over groups starts after `after` (the
-- previous claim's cursor), visits groups with due jobs in byte order with one index probe each,
-- and stops once it found `wanted` groups with room, or after wanted + (groups running) + 32: a full
-- group holds a running job, so full groups cannot make it longer than the jobs running.
-- `only_key` restricts the claim to one group. Rows with a NULL id carry no job: the last group
-- visited (the next claim's cursor), whether the walk stopped early (`more`) and, when a rate
-- limit held a group back, when its next token arrives (`retry_in_ms`). Being the owner's, it
-- spends group tokens without the caller needing rights on job_groups.
CREATE FUNCTION {{schema}}.group_candidates(queue_name text, wanted integer, after text, only_key text)
RETURNS TABLE (id uuid, tenant text, step integer, ord bigint, more boolean,
               retry_in_ms double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  q {{schema}}.queues%ROWTYPE;
  at timestamptz;
  held jsonb;
  steps integer;
BEGIN
  SELECT * INTO q FROM {{schema}}.queues AS s WHERE s.name = queue_name FOR UPDATE;
  IF NOT FOUND OR q.paused OR wanted <= 0 THEN
    RETURN;
  END IF;
  at := clock_timestamp();
  -- By group, the queue's running jobs (as many at most as jobs run, whatever waits), as a JSON
  -- object: each group visited looks its count up by key. Read after the lock, so it counts what
  -- the previous claim took; settlements since can only lower the counts.
  SELECT coalesce(jsonb_object_agg(r.key, r.cnt), '{}'::jsonb), wanted + count(*)::integer + 32
  INTO held, steps
  FROM (SELECT j.tenant AS key, count(*)::integer AS cnt FROM {{schema}}.jobs AS j
        WHERE j.queue = queue_name AND j.state = 'running' AND j.tenant IS NOT NULL
        GROUP BY j.tenant) AS r;
  RETURN QUERY
  WITH RECURSIVE walk(key, wrapped, step, found, room, retry, head) AS (
    (SELECT f.key, f.wrapped, 1, (r.room > 0)::integer, r.room, r.retry, r.head
    FROM (
      (SELECT j.tenant AS key, false AS wrapped FROM {{schema}}.jobs AS j
       WHERE only_key IS NULL AND j.queue COLLATE "C" = queue_name AND j.state = 'pending'
         AND j.tenant IS NOT NULL AND j.tenant COLLATE "C" > after AND j.run_at <= now()
       ORDER BY j.tenant COLLATE "C" LIMIT 1)
      UNION ALL
      (SELECT j.tenant, true FROM {{schema}}.jobs AS j
       WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
         AND (only_key IS NULL OR j.tenant COLLATE "C" = only_key) AND j.run_at <= now()
       ORDER BY j.tenant COLLATE "C" LIMIT 1)
    ) AS f
    CROSS JOIN LATERAL {{schema}}.group_room(queue_name, f.key, at,
      coalesce((held ->> f.key)::integer, 0)) AS r
    LIMIT 1)
    UNION ALL
    SELECT s.key, s.wrapped, w.step + 1, w.found + (r.room > 0)::integer, r.room, r.retry, r.head
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT x.key, x.wrapped FROM (
        (SELECT j.tenant AS key, w.wrapped FROM {{schema}}.jobs AS j
         WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
           AND j.tenant COLLATE "C" > w.key AND j.run_at <= now()
         ORDER BY j.tenant COLLATE "C" LIMIT 1)
        UNION ALL
        (SELECT j.tenant, true FROM {{schema}}.jobs AS j
         WHERE NOT w.wrapped AND j.queue COLLATE "C" = queue_name AND j.state = 'pending'
           AND j.tenant IS NOT NULL AND j.run_at <= now()
         ORDER BY j.tenant COLLATE "C" LIMIT 1)
      ) AS x
      LIMIT 1
    ) AS s
    CROSS JOIN LATERAL {{schema}}.group_room(queue_name, s.key, at,
      coalesce((held ->> s.key)::integer, 0)) AS r
    -- At most `wanted` groups with room, at most `steps` groups; a wrapped walk stops where it began.
    WHERE only_key IS NULL AND w.found < wanted AND w.step < steps
      AND NOT coalesce(s.wrapped AND s.key COLLATE "C" > after, false)
  ), share AS (
    SELECT ceil(wanted::numeric / greatest(1, count(*)))::integer AS per_key FROM walk WHERE room > 0
  ), picks AS MATERIALIZED (
    SELECT c.id, w.key, w.step, c.rank,
           c.taken >= (SELECT per_key FROM share) AND w.room > (SELECT per_key FROM share) AS more
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT top.id, row_number() OVER () AS rank, count(*) OVER () AS taken
      FROM (
        -- A FIFO group offers its head (group_room() found it due), any other its best jobs.
        SELECT w.head AS id WHERE w.head IS NOT NULL
        UNION ALL
        (SELECT j.id FROM {{schema}}.jobs AS j
         WHERE w.head IS NULL AND j.queue COLLATE "C" = queue_name
           AND j.tenant COLLATE "C" = w.key AND j.state = 'pending' AND j.run_at <= now()
         ORDER BY j.priority, j.run_at, j.id
         LIMIT least(w.room, (SELECT per_key FROM share)))
      ) AS top
    ) AS c
    WHERE w.room > 0
  ), spent AS (
    -- Each rate-limited group's bucket after this claim (the queue's row lock serialises them).
    INSERT INTO {{schema}}.job_groups AS g (queue, key, rate_tokens, rate_updated_at)
    SELECT queue_name, p.key, l.tokens - count(*), at
    FROM picks AS p
    CROSS JOIN LATERAL {{schema}}.group_limits(queue_name, p.key, at) AS l
    WHERE l.tokens IS NOT NULL
    GROUP BY p.key, l.tokens
    ON CONFLICT (queue, key) DO UPDATE
      SET rate_tokens = excluded.rate_tokens, rate_updated_at = excluded.rate_updated_at
    RETURNING 1
  )
  SELECT p.id, p.key, p.step, row_number() OVER (ORDER BY p.rank, p.step), p.more,
         NULL::double precision
  FROM picks AS p
  UNION ALL
  SELECT NULL::uuid, last.key, last.step, NULL::bigint,
         last.step >= steps AND last.found > 0,
         (SELECT min(w.retry) FROM walk AS w)
  FROM (SELECT * FROM walk ORDER BY step DESC LIMIT 1) AS last;
END
$$;

-- Finished running jobs free slots of queues with a concurrency limit or group limits: announce
-- them, so a capped worker claims again. Returns how many queues were announced.
CREATE OR REPLACE FUNCTION {{schema}}.announce_freed(queues text[]) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT count(*) FROM (
    SELECT {{schema}}.announce(q.name, 1, now()) FROM {{schema}}.queues AS q
    WHERE q.name = ANY (queues)
      AND (q.concurrency_limit IS NOT NULL OR {{schema}}.queue_grouped(q.name))
  ) AS announced
$$;

-- The live workers: every consumer registers itself when it starts, refreshes its row on each
-- heartbeat (running jobs, last seen) and removes it when it stops. A process that died leaves a
-- row that expires (expires_at) and is pruned by the next registration of anyone.
CREATE TABLE {{schema}}.workers (
  id           uuid        PRIMARY KEY,
  -- The workerId recorded on the jobs it claims.
  worker_id    text        NOT NULL,
  host         text        NOT NULL,
  pid          integer     NOT NULL,
  queues       text[]      NOT NULL,
  concurrency  integer     NOT NULL,
  running      integer     NOT NULL DEFAULT 0,
  version      text        NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX workers_expires_idx ON {{schema}}.workers (expires_at);
