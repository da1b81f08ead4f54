-- Renews the leases of many running jobs in one statement. A lease renews only if its token still
-- matches; the rest come back with renewed = false and the row's current state, so the caller
-- can abort those jobs (lost to the sweeper or another worker, cancelled, or gone).
-- $1 leases: jsonb array of {id, token}
-- $2 lease_ms: integer, new lease duration from now
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, token uuid)
), renewed AS (
  UPDATE {{schema}}.jobs AS j
  SET lease_expires_at = now() + $2 * interval '1 millisecond', heartbeat_at = now()
  FROM input
  WHERE j.id = input.id AND j.lease_token = input.token AND j.state = 'running'
  RETURNING j.id, j.lease_expires_at
)
SELECT input.id, renewed.id IS NOT NULL AS ok, renewed.lease_expires_at, cur.state AS current_state
FROM input
LEFT JOIN renewed ON renewed.id = input.id
LEFT JOIN {{schema}}.jobs AS cur ON cur.id = input.id
