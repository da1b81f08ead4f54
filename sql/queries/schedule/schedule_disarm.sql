-- Deletes the waiting job of a schedule's tick, if it has not started: the schedule changed,
-- was paused or removed. A job that never started is not history, and deleting it (rather than
-- cancelling it) leaves its tick free for the changed schedule. Returns the deleted job.
-- $1 name: text
-- $2 tick_at: timestamptz
DELETE FROM {{schema}}.jobs
WHERE schedule = $1 AND tick_at = $2 AND state = 'pending'
RETURNING id
