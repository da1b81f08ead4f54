-- Whether pgpulse's schema exists.
-- $1 schema: text, the schema's name
SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present
