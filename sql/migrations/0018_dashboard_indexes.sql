-- pgpulse migration 0018: indexes for the dashboard's lists of dead and waiting jobs and of
-- cancelled finished ones.
-- compatible-with: 17
--
-- Each list pages by keyset along an index, so a page reads about as many index entries as it
-- shows, however many jobs the tables hold. Pending, scheduled and running jobs already have
-- theirs (the claim index, the next-run index, the running index), and completed ones
-- jobs_done_queue_idx (the pending ones are read priority by priority along the claim index).
-- The new ones are partial, so only a job that goes dead, waits on parents, is cancelled or keeps
-- its key pays for an entry: sending, claiming and completing write nothing more.
-- Nothing else changes: hence compatible with 17.

CREATE INDEX jobs_dead_idx ON {{schema}}.jobs (queue, finished_at DESC, id DESC)
  WHERE state = 'dead';

CREATE INDEX jobs_waiting_idx ON {{schema}}.jobs (queue, created_at, id)
  WHERE state = 'waiting';

-- Completed and cancelled jobs the jobs table keeps (those retaining their key): few, but
-- without this their lists would walk every finished row of every queue.
CREATE INDEX jobs_finished_kept_idx ON {{schema}}.jobs (queue, state, finished_at DESC, id DESC)
  WHERE state IN ('completed', 'cancelled');

CREATE INDEX jobs_done_cancelled_idx ON {{schema}}.jobs_done (queue, finished_at DESC, id DESC)
  WHERE state = 'cancelled';
