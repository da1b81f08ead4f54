-- The worker registry: live entries (not expired), or with $1 every entry, oldest first.
-- $1 all: boolean, include expired entries
SELECT id, worker_id, host, pid, queues, concurrency, running, version, started_at, last_seen_at,
       expires_at, expires_at > now() AS alive
FROM {{schema}}.workers
WHERE $1 OR expires_at > now()
ORDER BY started_at, id
