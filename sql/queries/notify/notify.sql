-- Sends one notification; the listener uses it, from the query pool, to check that a
-- notification sent by another session reaches its LISTEN connection.
-- $1 channel: text
-- $2 payload: text
SELECT pg_notify($1, $2)
