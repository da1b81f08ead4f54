-- Retention leadership: one process at a time runs a retention pass. Taken on the connection
-- that runs the pass, for the length of the pass (a session lock: released by
-- retention_unlead.sql, or when the connection ends, e.g. when the process dies).
-- $1 lock_name: text, 'pgpulse.retention.' followed by the schema name
SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS leader
