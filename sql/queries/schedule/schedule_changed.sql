-- Publishes, while someone watches events, that a schedule was set, paused, resumed, triggered
-- or removed.
-- $1 name: text
-- $2 queue: text
-- $3 change: text
SELECT {{schema}}.schedule_changed($1, $2, $3)
