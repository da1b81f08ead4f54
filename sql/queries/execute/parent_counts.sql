-- How a job's parents settled, counted from its edges alone (no parent is read): a batch's
-- callback learns how many of its jobs completed, died or were cancelled.
-- $1 child: uuid
SELECT count(*) AS total,
       count(*) FILTER (WHERE outcome = 'completed') AS completed,
       count(*) FILTER (WHERE outcome = 'dead') AS dead,
       count(*) FILTER (WHERE outcome = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE outcome IS NULL) AS unsettled
FROM {{schema}}.job_deps
WHERE child = $1
