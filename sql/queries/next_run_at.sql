-- When the next delayed or retried job of a queue is due, relative to the database's clock, so a
-- consumer can arm a timer for it whatever the skew between its clock and the database's. Also
-- returns the database's clock, to place the absolute run_at of notifications on the local one.
-- $1 queue: text
SELECT extract(epoch FROM min(run_at) - now()) * 1000 AS due_in_ms,
       extract(epoch FROM now()) * 1000 AS db_now_ms
FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'pending' AND run_at > now()
