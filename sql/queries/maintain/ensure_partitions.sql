-- Makes sure the partitions of jobs_done exist from now to a few intervals ahead (see
-- ensure_done_partitions() in migration 0013): cheap when they do, one row read. The sweeper runs
-- it, so completions land in droppable partitions as long as any worker runs.
SELECT {{schema}}.ensure_done_partitions() AS made
