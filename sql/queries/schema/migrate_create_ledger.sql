-- Creates the migration ledger if it does not exist (run under the migration lock).
CREATE TABLE IF NOT EXISTS {{schema}}.migrations (
  id         integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)
