-- pgpulse migration 0010: the ledger says which older code may still run against the schema.
-- compatible-with: 9
--
-- A process checks the schema version at its first statement. A schema newer than the code used
-- to be refused outright, so a release whose migration only adds things stopped every process of
-- the previous release still running during a rolling deploy. Each migration now declares, in a
-- `-- compatible-with: N` line like the one above, the oldest code version its changes leave
-- working (without one: only code that knows the migration). migrate() records that number here,
-- because older code does not have the newer migration files: it reads the ledger instead, and
-- runs against a newer schema only if every migration it does not know leaves it working.
--
-- Releases from before this migration do not read the column and still refuse any newer schema.
-- Migrations recorded before it declared nothing: each counts as needing code that knows it.
ALTER TABLE {{schema}}.migrations ADD COLUMN compatible_from integer;
UPDATE {{schema}}.migrations SET compatible_from = id;
