-- pgpulse migration 0003: a claim's plan must not depend on table statistics.
--
-- Right after a burst of inserts the jobs table has no fresh statistics, and the planner then
-- claimed through jobs_next_run_at_idx (queue, run_at): it read every pending job of the queue
-- and sorted them, 23 ms per claim at 40,000 pending jobs, growing with the backlog, instead of
-- 0.9 ms through jobs_claim_idx. With that index gone, jobs_claim_idx is the only index a claim
-- can use, and it yields due jobs already in claim order, so a claim stays O(log n) whatever the
-- statistics say. The next due time is now found through jobs_claim_idx too, with one probe per
-- distinct priority (sql/queries/next_run_at.sql).
DROP INDEX {{schema}}.jobs_next_run_at_idx;
