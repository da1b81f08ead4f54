-- Registers or renews an event watcher, so that statements emit lifecycle events, and clears
-- watchers that expired long ago (their processes crashed without unregistering).
-- $1 watcher_id: uuid
-- $2 ttl_ms: integer, how long the registration lasts without renewal
WITH stale AS (
  DELETE FROM {{schema}}.event_watchers WHERE expires_at < now() - interval '1 hour'
)
INSERT INTO {{schema}}.event_watchers (id, expires_at)
VALUES ($1, now() + $2 * interval '1 millisecond')
ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
