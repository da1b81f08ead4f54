-- The schema version: the highest migration applied, 0 when none.
SELECT coalesce(max(id), 0) AS version FROM {{schema}}.migrations
