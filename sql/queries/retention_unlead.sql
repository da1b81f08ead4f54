-- Gives retention leadership up at the end of a pass (see retention_lead.sql).
-- $1 lock_name: text, 'pgpulse.retention.' followed by the schema name
SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS released
