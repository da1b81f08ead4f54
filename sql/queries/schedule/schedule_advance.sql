-- What the claim of a schedule's job does to its schedule (see schedule_advance() in migration
-- 0015): skip the job (misfire or overlap), insert the jobs of the ticks the caller computed and
-- move next_tick_at on, or report a conflict (the schedule changed since the caller read it).
-- $1 name: text
-- $2 job_id: uuid
-- $3 lease_token: uuid
-- $4 tick_at: timestamptz, the claimed job's tick
-- $5 read_version: integer, the version the ticks were computed from
-- $6 ticks: timestamptz[], the jobs to insert (missed ticks to run, then the next)
-- $7 ids: uuid[], their ids
-- $8 next_tick_at: timestamptz, the tick that then waits, or NULL (the schedule ended)
-- $9 misfire_skip: boolean, skip the claimed job (ticks were missed; the policy is 'skip')
-- $10 default_max_attempts: integer, the client's default
-- $11 may_skip: boolean, false once the job's handler started (it runs whatever the policies say)
SELECT outcome, reason, made
FROM {{schema}}.schedule_advance($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
