-- Cancels every unfinished job of a flow through cancel_flow() (migration 0016): running ones
-- lose their lease and their processes abort the handlers; dead ones stay. Returns how many.
-- $1 flow: uuid
SELECT {{schema}}.cancel_flow($1::uuid) AS cancelled
