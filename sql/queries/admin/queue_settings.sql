-- Reads the settings row of one queue, or of every queue that has one.
-- $1 name: text, or NULL for every queue
SELECT * FROM {{schema}}.queues WHERE $1::text IS NULL OR name = $1 ORDER BY name
