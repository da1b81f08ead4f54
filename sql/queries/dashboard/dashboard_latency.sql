-- Enqueue-to-start latency of some queues (from the later of created_at and run_at to
-- started_at, in ms) over each queue's newest completed jobs: at most 1,000, of the last five
-- minutes, read backwards along jobs_done_queue_idx.
-- $1 queues: text[]
SELECT q.queue,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY s.ms) AS p99,
       count(s.ms) AS sample
FROM unnest($1::text[]) AS q(queue)
CROSS JOIN LATERAL (
  SELECT extract(epoch FROM j.started_at - greatest(j.created_at, j.run_at)) * 1000 AS ms
  FROM {{schema}}.jobs_done AS j
  WHERE j.queue = q.queue AND j.finished_at > now() - interval '5 minutes'
    AND j.started_at IS NOT NULL
  ORDER BY j.finished_at DESC
  LIMIT 1000
) AS s
GROUP BY q.queue
