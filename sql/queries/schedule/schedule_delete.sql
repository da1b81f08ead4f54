-- Removes a schedule (its waiting job is deleted first by schedule_disarm.sql). Jobs it made
-- keep its name. Returns the removed schedule's queue.
-- $1 name: text
DELETE FROM {{schema}}.schedules WHERE name = $1 RETURNING queue
