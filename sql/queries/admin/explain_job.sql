-- What decides whether one job can start now, read in one statement for explain(): the job
-- (wherever it is), its queue's settings and token bucket, the queue's and its group's running
-- jobs (counts, and the first 20 ids), its group's limits and FIFO head, how many due jobs are
-- ahead of it in its line (at most 1,000 counted) and whether other groups have due jobs, and
-- how many live workers consume its queue. Every read is bounded: by index, or by running jobs.
-- No row: no such job.
-- $1 id: uuid
WITH job AS MATERIALIZED (
  SELECT * FROM (
    SELECT id, queue, state, priority, run_at, tenant, created_at, attempts, max_attempts,
           worker_id, lease_expires_at, finished_at, 0 AS place
    FROM {{schema}}.jobs WHERE id = $1
    UNION ALL
    SELECT id, queue, state, priority, run_at, tenant, created_at, attempts, max_attempts,
           worker_id, lease_expires_at, finished_at, 1
    FROM {{schema}}.jobs_done WHERE id = $1
    UNION ALL
    SELECT id, queue, state, priority, run_at, tenant, created_at, attempts, max_attempts,
           worker_id, lease_expires_at, finished_at, 2
    FROM {{schema}}.jobs_archive WHERE id = $1
  ) AS found
  ORDER BY place LIMIT 1
), queue_row AS MATERIALIZED (
  SELECT q.* FROM {{schema}}.queues AS q JOIN job ON q.name = job.queue
), limits AS MATERIALIZED (
  SELECT l.* FROM job CROSS JOIN LATERAL {{schema}}.group_limits(job.queue, job.tenant, now()) AS l
  WHERE job.tenant IS NOT NULL AND {{schema}}.queue_grouped(job.queue)
), running AS MATERIALIZED (
  SELECT r.id, r.tenant, r.started_at FROM {{schema}}.jobs AS r JOIN job ON r.queue = job.queue
  WHERE r.state = 'running' AND job.state = 'pending'
)
SELECT job.id, job.queue, job.state, job.priority, job.run_at, job.tenant, job.attempts,
       job.max_attempts, job.worker_id, job.lease_expires_at, job.finished_at,
       extract(epoch FROM now()) * 1000 AS db_now_ms,
       coalesce(q.paused, false) AS paused, q.concurrency_limit,
       coalesce(q.fair_tenants, false) AS fair, q.rate_limit, q.rate_period_ms,
       CASE WHEN q.rate_limit IS NOT NULL THEN
         least(q.rate_limit::double precision, coalesce(q.rate_tokens, q.rate_limit)
           + greatest(0, extract(epoch FROM now() - coalesce(q.rate_updated_at, now())))
             * 1000 * q.rate_limit / q.rate_period_ms) END AS queue_tokens,
       (SELECT count(*) FROM running) AS queue_running,
       ARRAY(SELECT id FROM running ORDER BY started_at, id LIMIT 20) AS queue_running_ids,
       EXISTS (SELECT 1 FROM limits) AS grouped,
       l.concurrency_limit AS group_concurrency_limit, l.rate_limit AS group_rate_limit,
       l.rate_period_ms AS group_rate_period_ms, coalesce(l.fifo, false) AS group_fifo,
       l.tokens AS group_tokens,
       (SELECT count(*) FROM running WHERE running.tenant = job.tenant) AS group_running,
       ARRAY(SELECT id FROM running WHERE running.tenant = job.tenant
             ORDER BY started_at, id LIMIT 20) AS group_running_ids,
       (SELECT h.id FROM {{schema}}.jobs AS h
        WHERE l.fifo AND job.state = 'pending' AND h.queue COLLATE "C" = job.queue
          AND h.tenant COLLATE "C" = job.tenant AND h.state = 'pending' AND h.tenant IS NOT NULL
          AND h.created_at > '-infinity' -- the FIFO index's predicate (migration 0017)
        ORDER BY h.created_at, h.id LIMIT 1) AS fifo_head,
       (SELECT count(*) FROM (
          SELECT 1 FROM {{schema}}.jobs AS a
          WHERE job.state = 'pending' AND a.queue = job.queue AND a.state = 'pending'
            AND a.run_at <= now()
            AND (a.priority, a.run_at, a.id) < (job.priority, job.run_at, job.id)
            AND (NOT coalesce(q.fair_tenants, false) OR a.tenant = job.tenant)
          LIMIT 1000) AS ahead) AS ahead,
       coalesce(q.fair_tenants, false) AND job.state = 'pending' AND (EXISTS (
         SELECT 1 FROM {{schema}}.jobs AS o
         WHERE o.queue COLLATE "C" = job.queue AND o.state = 'pending' AND o.tenant IS NOT NULL
           AND o.tenant COLLATE "C" > job.tenant AND o.run_at <= now()) OR EXISTS (
         SELECT 1 FROM {{schema}}.jobs AS o
         WHERE o.queue COLLATE "C" = job.queue AND o.state = 'pending' AND o.tenant IS NOT NULL
           AND o.tenant COLLATE "C" < job.tenant AND o.run_at <= now())) AS other_groups_due,
       (SELECT count(*) FROM {{schema}}.workers AS w
        WHERE w.expires_at > now() AND job.queue = ANY (w.queues)) AS live_workers,
       -- A waiting job's parents that have not settled (migration 0016), at most 20.
       ARRAY(SELECT d.parent FROM {{schema}}.job_deps AS d
             WHERE job.state = 'waiting' AND d.child = job.id AND d.outcome IS NULL
             ORDER BY d.parent LIMIT 20) AS open_parents
FROM job
LEFT JOIN queue_row AS q ON true
LEFT JOIN limits AS l ON true
