-- Pauses or resumes a queue: a paused queue hands out no job (every claim reads the flag), and
-- jobs already running go on. A queue without a settings row gets one. Every consumer of the
-- queue hears of it on the jobs channel, so a resumed queue is claimed from at once.
-- $1 name: text
-- $2 paused: boolean
WITH saved AS (
  INSERT INTO {{schema}}.queues AS q (name, paused) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = now()
  RETURNING q.*
), control AS (
  SELECT {{schema}}.announce_control(name) FROM saved
)
SELECT saved.*, (SELECT count(*) FROM control) AS announced FROM saved
