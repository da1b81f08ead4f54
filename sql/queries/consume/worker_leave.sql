-- Removes a stopping consumer's entry from the worker registry.
-- $1 id: uuid
DELETE FROM {{schema}}.workers WHERE id = $1
