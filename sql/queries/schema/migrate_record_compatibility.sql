-- Records, for the migrations just applied, the oldest code version each leaves working (its
-- `-- compatible-with: N` line, or its own number), so that a process of an older release, which
-- does not have their files, can tell whether it may run (see migrate_required_version.sql). Run
-- under the migration lock once every pending migration is applied: the ledger has the column
-- from migration 0010 on, and the code that runs this knows that migration.
-- $1 ids: integer[]
-- $2 compatible_from: integer[], for each id
UPDATE {{schema}}.migrations AS m
SET compatible_from = c.compatible_from
FROM unnest($1::integer[], $2::integer[]) AS c(id, compatible_from)
WHERE m.id = c.id
