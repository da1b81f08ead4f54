-- Registers a consumer in the worker registry, or refreshes its entry (running jobs, last seen,
-- a new expiry); called when it starts and on every heartbeat. Entries whose expiry passed (their
-- process died without leaving) are removed on the way.
-- $1 id: uuid, this consumer's registration
-- $2 worker_id: text, the workerId its jobs record
-- $3 host: text
-- $4 pid: integer
-- $5 queues: text[]
-- $6 concurrency: integer
-- $7 running: integer, jobs it holds now
-- $8 version: text, pgpulse's version
-- $9 ttl_ms: integer, how long the entry lives without another refresh
WITH expired AS (
  DELETE FROM {{schema}}.workers WHERE expires_at < now() AND id <> $1 RETURNING 1
)
INSERT INTO {{schema}}.workers AS w
  (id, worker_id, host, pid, queues, concurrency, running, version, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9 * interval '1 millisecond')
ON CONFLICT (id) DO UPDATE SET
  running = excluded.running, last_seen_at = now(), expires_at = excluded.expires_at
RETURNING w.id, (SELECT count(*) FROM expired) AS expired
