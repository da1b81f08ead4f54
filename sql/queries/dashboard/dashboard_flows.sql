-- A page of flows, newest first (flow ids are time-ordered), before the cursor $2: a loose index
-- scan down jobs_flow_idx finds each flow with one probe, then its jobs are counted per state.
-- $1 limit: integer
-- $2 flow id: the last of the previous page (the first page passes the highest)
WITH RECURSIVE flows(flow_id, n) AS (
  SELECT (SELECT j.flow_id FROM {{schema}}.jobs AS j
          WHERE j.flow_id IS NOT NULL AND j.flow_id < $2::uuid
          ORDER BY j.flow_id DESC LIMIT 1), 1
  UNION ALL
  SELECT (SELECT j.flow_id FROM {{schema}}.jobs AS j
          WHERE j.flow_id IS NOT NULL AND j.flow_id < f.flow_id
          ORDER BY j.flow_id DESC LIMIT 1), f.n + 1
  FROM flows AS f WHERE f.flow_id IS NOT NULL AND f.n < $1
)
SELECT f.flow_id AS id, c.created_at, c.counts, c.jobs
FROM flows AS f
CROSS JOIN LATERAL (
  SELECT min(s.created_at) AS created_at, sum(s.n)::integer AS jobs,
         jsonb_object_agg(s.state, s.n) AS counts
  FROM (SELECT j.state, count(*) AS n, min(j.created_at) AS created_at
        FROM {{schema}}.jobs AS j WHERE j.flow_id = f.flow_id GROUP BY j.state) AS s
) AS c
WHERE f.flow_id IS NOT NULL
ORDER BY f.flow_id DESC
