-- Unregisters an event watcher; with none left, statements stop emitting events.
-- $1 watcher_id: uuid
DELETE FROM {{schema}}.event_watchers WHERE id = $1
