-- The oldest code version that may run against the schema, judged by the migrations a given
-- release does not know (those numbered above its version): the highest `compatible_from` among
-- them. A migration recorded without one counts as needing code that knows it. Only asked when
-- the schema is newer than the code, so the column exists (migration 0010).
-- $1 code_version: integer, the newest migration the asking code knows
SELECT coalesce(max(coalesce(compatible_from, id)), 0) AS required
FROM {{schema}}.migrations
WHERE id > $1
