-- pgpulse migration 0008: a claim for one tenant always walks the tenant claim index.
--
-- The tenant-scoped claim (claim_jobs.sql, tenant_pick) and the fair walk (fair_candidates())
-- say `queue = $1 AND tenant = $6`, which jobs_claim_idx (queue, priority, run_at, id) can serve
-- as well: an index condition on queue and a filter on tenant, already in claim order. When the
-- statistics made the pending backlog look small (autovacuum analysed the table before a burst
-- of inserts), the planner preferred that walk, which reads the queue's whole backlog for a
-- tenant with a small share of it; and the generic plan, once made, stays for the connection's
-- life. Which plan won flipped with each ANALYZE.
--
-- The tenant index now compares its keys in the "C" collation, and the statements that must use
-- it say `COLLATE "C"`. An index condition needs the index's collation, so jobs_claim_idx (in the
-- database's default collation) can no longer serve them except by a full scan and a sort: the
-- tenant index wins under any statistics. Equality means the same in every deterministic
-- collation; the fair walk's tenant order becomes byte order, which is as fair as any.
--
-- Rebuilding the index holds a write lock on jobs while it builds (a migration runs in one
-- transaction): on a big table, run this migration at a quiet time.
DROP INDEX {{schema}}.jobs_claim_tenant_idx;
CREATE INDEX jobs_claim_tenant_idx
  ON {{schema}}.jobs ((queue COLLATE "C"), (tenant COLLATE "C"), priority, run_at, id)
  WHERE state = 'pending' AND tenant IS NOT NULL;

CREATE OR REPLACE FUNCTION {{schema}}.fair_candidates(queue_name text, n integer, after text)
RETURNS TABLE (id uuid, tenant text, step integer, ord bigint, more boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp AS $$
  WITH RECURSIVE walk(tenant, wrapped, step) AS (
    (SELECT first.tenant, first.wrapped, 1
    FROM (
      (SELECT j.tenant, false AS wrapped FROM {{schema}}.jobs AS j
       WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
         AND j.tenant COLLATE "C" > after AND j.run_at <= now() AND n > 0
       ORDER BY j.tenant COLLATE "C" LIMIT 1)
      UNION ALL
      (SELECT j.tenant, true FROM {{schema}}.jobs AS j
       WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
         AND j.run_at <= now() AND n > 0
       ORDER BY j.tenant COLLATE "C" LIMIT 1)
    ) AS first
    LIMIT 1)
    UNION ALL
    SELECT next.tenant, next.wrapped, w.step + 1
    FROM walk AS w
    CROSS JOIN LATERAL (
      SELECT s.tenant, s.wrapped FROM (
        (SELECT j.tenant, w.wrapped FROM {{schema}}.jobs AS j
         WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant IS NOT NULL
           AND j.tenant COLLATE "C" > w.tenant AND j.run_at <= now()
         ORDER BY j.tenant COLLATE "C" LIMIT 1)
        UNION ALL
        (SELECT j.tenant, true FROM {{schema}}.jobs AS j
         WHERE NOT w.wrapped AND j.queue COLLATE "C" = queue_name AND j.state = 'pending'
           AND j.tenant IS NOT NULL AND j.run_at <= now()
         ORDER BY j.tenant COLLATE "C" LIMIT 1)
      ) AS s
      LIMIT 1
    ) AS next
    -- At most n tenants; a walk that wrapped around stops where it began.
    WHERE w.step < n AND NOT coalesce(next.wrapped AND next.tenant COLLATE "C" > after, false)
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
      WHERE j.queue COLLATE "C" = queue_name AND j.state = 'pending' AND j.tenant COLLATE "C" = w.tenant
        AND j.run_at <= now()
      ORDER BY j.priority, j.run_at, j.id
      LIMIT (SELECT per_tenant FROM share)
    ) AS top
  ) AS c
  ORDER BY ord
$$;
