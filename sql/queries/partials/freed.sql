-- partial freed.sql: a finished running job frees a slot of a queue with a concurrency limit:
-- announce it, so a capped worker claims again. Reads `done(queue)`, the jobs just finished.
freed AS (
  SELECT {{schema}}.announce(q.name, 1, now()) FROM {{schema}}.queues AS q
  WHERE q.name IN (SELECT queue FROM done) AND q.concurrency_limit IS NOT NULL
)
