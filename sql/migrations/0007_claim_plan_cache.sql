-- pgpulse migration 0007: keep the claim statement cheap to plan.
--
-- fair_candidates() is a plain SQL function, so PostgreSQL inlined its body (a recursive walk over
-- tenants) into every claim statement, fair queue or not. That made each plan of the claim cost
-- about 1 ms of CPU and made the generic plan look costlier than a custom one once the queue held
-- a large backlog, so the plan cache re-planned the claim on every call: draining the first
-- 10,000 of 1,000,000 jobs ran at 60% of the rate of a 10,000-job backlog (bench "backlog").
-- A function with a SET clause is never inlined: it is planned only when a fair claim calls it.
-- A fixed search_path is also what a function in a shared schema should have.
ALTER FUNCTION {{schema}}.fair_candidates(text, integer, text)
  SET search_path = pg_catalog, pg_temp;
