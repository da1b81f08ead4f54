-- Runs a schedule's job now, outside its ticks (the job has the schedule's name and no tick),
-- whatever its overlap policy says, and makes it the schedule's last job. No row when no
-- schedule has the name.
-- $1 name: text
-- $2 job_id: uuid
-- $3 default_max_attempts: integer, the client's default
WITH made AS MATERIALIZED (
  SELECT {{schema}}.schedule_enqueue($1, ARRAY[NULL::timestamptz], ARRAY[$2::uuid], $3) AS n
  WHERE EXISTS (SELECT 1 FROM {{schema}}.schedules WHERE name = $1)
)
UPDATE {{schema}}.schedules AS s
SET last_job_id = $2, updated_at = now()
FROM made
WHERE s.name = $1 AND made.n = 1
RETURNING s.queue
