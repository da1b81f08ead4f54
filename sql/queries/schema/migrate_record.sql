-- Records one applied migration in the ledger.
-- $1 id: integer
-- $2 name: text
INSERT INTO {{schema}}.migrations (id, name) VALUES ($1, $2)
