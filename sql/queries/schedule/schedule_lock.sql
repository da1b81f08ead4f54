-- Serialises the changes of one schedule (set, pause, resume, remove) until the transaction
-- ends, creation included (a row lock cannot cover a row that does not exist yet). Claims do not
-- take it: schedule_advance() and the changes guard each other through the row's version and
-- next_tick_at instead.
-- $1 lock_name: text, 'pgpulse.schedule.<schema>.<name>'
SELECT pg_advisory_xact_lock(hashtextextended($1, 0))
