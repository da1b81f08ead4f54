-- Serialises migrations of one schema across processes until the transaction ends.
-- $1 lock_name: text, 'pgpulse.migrate.' followed by the schema name
SELECT pg_advisory_xact_lock(hashtextextended($1, 0))
